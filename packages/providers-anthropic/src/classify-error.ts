import { classifyHttpFailure, type ErrorClassification, type UpstreamFailure } from '@modelmesh/core'

export { retryAfter } from '@modelmesh/core'

/**
 * How an Anthropic failure affects routing: the core's HTTP classification (402 `billing_error`
 * is a key problem there too), with 529 `overloaded_error` named as such — a provider failure whose
 * `retry-after`, when sent, is honoured.
 */
export function classifyAnthropicError(failure: UpstreamFailure): ErrorClassification {
  return classifyHttpFailure(failure, { reasons: { 529: 'overloaded' } })
}
