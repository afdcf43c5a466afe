import { UpstreamError } from '@modelmesh/core'
import { describe, expect, it } from 'vitest'
import { classifyOpenAIError, retryAfter } from '../src/index.js'

describe('classifyOpenAIError', () => {
  it.each([
    [400, { retryable: false, scope: 'request', reason: 'http_400' }],
    [413, { retryable: false, scope: 'request', reason: 'http_413' }],
    [422, { retryable: false, scope: 'request', reason: 'http_422' }],
    [404, { retryable: true, scope: 'model', reason: 'http_404' }],
    [401, { retryable: true, scope: 'key', reason: 'http_401' }],
    [403, { retryable: true, scope: 'key', reason: 'http_403' }],
    [402, { retryable: true, scope: 'key', reason: 'http_402' }],
    [408, { retryable: true, scope: 'provider', reason: 'http_408' }],
    [409, { retryable: true, scope: 'provider', reason: 'http_409' }],
    [500, { retryable: true, scope: 'provider', reason: 'http_500' }],
    [503, { retryable: true, scope: 'provider', reason: 'http_503' }],
    [529, { retryable: true, scope: 'provider', reason: 'http_529' }],
  ])('classifies HTTP %i', (status, expected) => {
    expect(classifyOpenAIError({ status, headers: {}, body: '{}' })).toEqual(expected)
  })

  it('reads retry-after seconds, retry-after-ms and HTTP dates on 429', () => {
    expect(classifyOpenAIError({ status: 429, headers: { 'retry-after': '2' } })).toEqual({ retryable: true, scope: 'rate-limit', reason: 'http_429', retryAfterMs: 2000 })
    expect(classifyOpenAIError({ status: 429, headers: { 'retry-after-ms': '150', 'retry-after': '1' } }).retryAfterMs).toBe(150)
    expect(classifyOpenAIError({ status: 429, headers: {} })).toEqual({ retryable: true, scope: 'rate-limit', reason: 'http_429' })
    const now = Date.parse('2025-01-01T00:00:00Z')
    expect(retryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)).toBe(30_000)
    expect(retryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0)
    expect(retryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined()
  })

  it('treats a 429 insufficient_quota as a key problem, not a wait', () => {
    const body = JSON.stringify({ error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } })
    expect(classifyOpenAIError({ status: 429, headers: { 'retry-after': '20' }, body })).toEqual({ retryable: true, scope: 'key', reason: 'insufficient_quota' })
  })

  it('classifies connection errors and timeouts as retryable provider failures', () => {
    const refused = new UpstreamError({ message: 'x', cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
    expect(classifyOpenAIError({ cause: refused })).toEqual({ retryable: true, scope: 'provider', reason: 'connection_error' })
    const connectTimeout = new UpstreamError({ message: 'x', cause: Object.assign(new Error('t'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) })
    expect(classifyOpenAIError({ cause: connectTimeout }).reason).toBe('timeout_connect')
    expect(classifyOpenAIError({ cause: Object.assign(new Error('h'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }).reason).toBe('timeout_headers')
    expect(classifyOpenAIError({ timeout: 'first-token' })).toEqual({ retryable: true, scope: 'provider', reason: 'timeout_first_token' })
    expect(classifyOpenAIError({ timeout: 'idle' }).reason).toBe('timeout_idle')
  })
})
