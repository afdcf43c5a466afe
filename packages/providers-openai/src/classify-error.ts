import { classifyHttpFailure, type ErrorClassification, type UpstreamFailure } from '@modelmesh/core'

export { retryAfter } from '@modelmesh/core'

/**
 * How an OpenAI-style upstream failure affects routing: the core's HTTP classification, except
 * that a 429 whose error code is `insufficient_quota` is a billing state of the key, so another key
 * is the cure rather than waiting.
 */
export function classifyOpenAIError(failure: UpstreamFailure): ErrorClassification {
  if (failure.status === 429 && upstreamErrorCode(failure.body) === 'insufficient_quota') return { retryable: true, scope: 'key', reason: 'insufficient_quota' }
  return classifyHttpFailure(failure)
}

function upstreamErrorCode(body: string | undefined): string | undefined {
  if (!body) return undefined
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } }).error
    const code = error?.code ?? error?.type
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}
