import { describe, expect, it } from 'vitest'
import { classifyHttpFailure } from '../../src/index.js'

describe('classifyHttpFailure', () => {
  it('scopes statuses for routing', () => {
    expect(classifyHttpFailure({ status: 400 })).toEqual({ retryable: false, scope: 'request', reason: 'http_400' })
    expect(classifyHttpFailure({ status: 402 })).toMatchObject({ scope: 'key' })
    expect(classifyHttpFailure({ status: 402 }, { keyStatuses: [401, 403] })).toMatchObject({ scope: 'request', retryable: false })
    expect(classifyHttpFailure({ status: 404 })).toMatchObject({ scope: 'model', retryable: true })
    expect(classifyHttpFailure({ status: 503, headers: { 'retry-after': '2' } })).toEqual({ retryable: true, scope: 'provider', reason: 'http_503', retryAfterMs: 2000 })
    expect(classifyHttpFailure({ status: 529 }, { reasons: { 529: 'overloaded' } })).toMatchObject({ scope: 'provider', reason: 'overloaded' })
  })

  it('reads waits from headers first, then from the body hook', () => {
    expect(classifyHttpFailure({ status: 429, headers: { 'retry-after-ms': '1500' } })).toMatchObject({ scope: 'rate-limit', retryAfterMs: 1500 })
    expect(classifyHttpFailure({ status: 429 }, { retryAfterFromBody: () => 3000 })).toMatchObject({ retryAfterMs: 3000 })
  })

  it('names timeouts and connection errors along the cause chain', () => {
    expect(classifyHttpFailure({ timeout: 'first-token' })).toMatchObject({ reason: 'timeout_first_token', scope: 'provider' })
    expect(classifyHttpFailure({ cause: { cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } } })).toMatchObject({ reason: 'timeout_connect' })
    expect(classifyHttpFailure({ cause: new Error('ECONNRESET') })).toMatchObject({ reason: 'connection_error', retryable: true })
  })
})
