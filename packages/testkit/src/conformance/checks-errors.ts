import type { ErrorClassification, ErrorScope, UpstreamFailure } from '@modelmesh/core'
import { expect } from 'vitest'
import { defaultErrorBody } from '../fake-openai/openai-errors.js'
import type { ProviderCheck } from './provider-check.js'

const failure = (status: number, headers: Record<string, string> = {}): UpstreamFailure => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(defaultErrorBody(status)),
})

function expectClassification(actual: ErrorClassification, expected: { scope: ErrorScope; retryable?: boolean }): void {
  expect(actual.scope).toBe(expected.scope)
  if (expected.retryable !== undefined) expect(actual.retryable).toBe(expected.retryable)
  expect(typeof actual.reason === 'string' && actual.reason.length > 0, 'classification.reason must be a non-empty string').toBe(true)
}

const connectionReset = (): Error => Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' })

export const classifyErrorChecks: ProviderCheck[] = [
  {
    name: "classifyError: 429 with retry-after '2' is a retryable rate-limit with retryAfterMs 2000",
    feature: 'classify-error',
    run({ provider }) {
      const result = provider.classifyError(failure(429, { 'retry-after': '2' }))
      expectClassification(result, { scope: 'rate-limit', retryable: true })
      expect(result.retryAfterMs).toBe(2000)
    },
  },
  {
    name: "classifyError: 401 is scoped to the key",
    feature: 'classify-error',
    run({ provider }) {
      expectClassification(provider.classifyError(failure(401)), { scope: 'key' })
    },
  },
  {
    name: 'classifyError: 400 is the request’s fault and not retryable',
    feature: 'classify-error',
    run({ provider }) {
      expectClassification(provider.classifyError(failure(400)), { scope: 'request', retryable: false })
    },
  },
  ...[500, 502, 503].map(
    (status): ProviderCheck => ({
      name: `classifyError: ${status} is a retryable provider failure`,
      feature: 'classify-error',
      run({ provider }) {
        expectClassification(provider.classifyError(failure(status)), { scope: 'provider', retryable: true })
      },
    }),
  ),
  {
    name: 'classifyError: a connection reset (no status) is a retryable provider failure',
    feature: 'classify-error',
    run({ provider }) {
      expectClassification(provider.classifyError({ cause: connectionReset() }), { scope: 'provider', retryable: true })
    },
  },
  {
    name: 'classifyError: an engine timeout is a retryable provider failure',
    feature: 'classify-error',
    run({ provider }) {
      expectClassification(provider.classifyError({ timeout: 'first-token' }), { scope: 'provider', retryable: true })
    },
  },
]
