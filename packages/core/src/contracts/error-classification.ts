import { Type, type Static } from '@sinclair/typebox'

/**
 * What an upstream failure means for routing.
 * - `request`: this request is at fault (bad input); do not retry anywhere.
 * - `key`: this credential is unusable (401/403) or out of quota; try another key.
 * - `model`: this model is unavailable on this provider; try another deployment.
 * - `provider`: the provider is failing (5xx, timeouts, connection errors); fail over.
 * - `rate-limit`: throttled (429); move to another key or wait for `retryAfterMs`.
 */
export const ErrorScope = Type.Union([
  Type.Literal('request'),
  Type.Literal('key'),
  Type.Literal('model'),
  Type.Literal('provider'),
  Type.Literal('rate-limit'),
])
export type ErrorScope = Static<typeof ErrorScope>

export const ErrorClassification = Type.Object({
  retryable: Type.Boolean(),
  scope: ErrorScope,
  retryAfterMs: Type.Optional(Type.Number({ minimum: 0 })),
  reason: Type.String({ description: 'Short machine-readable reason, e.g. "http_503", "timeout_first_token"' }),
})
export type ErrorClassification = Static<typeof ErrorClassification>

/** What the engine knows of a failed upstream call, given to `provider.classifyError`. */
export interface UpstreamFailure {
  /** HTTP status, when the upstream answered. */
  status?: number
  headers?: Readonly<Record<string, string | undefined>>
  /** The error body text, when read (at most a few KiB). */
  body?: string
  /** The thrown error for connection failures and timeouts. */
  cause?: unknown
  /** Set by the engine when one of its own timers fired. */
  timeout?: 'connect' | 'first-token' | 'idle' | 'total'
}
