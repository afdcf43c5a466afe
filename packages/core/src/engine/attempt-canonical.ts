import type { ChatRequest } from '../contracts/chat-request.js'
import type { StreamPart } from '../contracts/stream-part.js'
import { GatewayError } from '../errors/gateway-error.js'
import { UpstreamError } from '../errors/upstream-error.js'
import type { Attempt, AttemptAnswer } from './attempt-context.js'
import type { AttemptResult } from './attempt-loop.js'
import { streamAnswer } from './attempt-passthrough.js'
import type { RelayProgress } from './stream-relay.js'
import { missingCapabilities, unsupportedMessage } from './capabilities.js'
import { translationWarnings } from './translation-warnings.js'

/** Turn a thrown provider error into the attempt's failure (a 4xx of the request is final). */
function failed(attempt: Attempt, error: unknown): AttemptResult<AttemptAnswer> {
  if (GatewayError.isInstance(error)) {
    attempt.release()
    throw error
  }
  if (UpstreamError.isInstance(error) && error.status !== undefined) {
    const result = attempt.fail({ status: error.status, headers: error.headers, ...(error.body !== undefined ? { body: error.body } : {}) })
    if (!result.failure.classification.retryable) {
      // The upstream refused the request itself: say so in the client's dialect.
      const gatewayError = new GatewayError({ status: error.status, type: error.status === 404 ? 'not_found_error' : 'invalid_request_error', code: 'upstream_rejected_request', message: `${attempt.deployment.provider} rejected the request: ${error.message}` })
      const answer: AttemptAnswer = { status: error.status, contentType: 'application/json', body: JSON.stringify(attempt.input.ingress.errorBody(gatewayError)), completion: Promise.resolve({ usage: undefined, clientDisconnected: false }) }
      return { kind: 'final', status: error.status, failure: result.failure, value: answer }
    }
    return result
  }
  return attempt.fail({ cause: error })
}

/**
 * Different dialects on each side: the client's body goes through the canonical form to the
 * provider's `doChat` / `doStream`, and the answer back into the client's dialect, chunk by chunk.
 */
export async function canonicalAttempt(attempt: Attempt, publicModel: string): Promise<AttemptResult<AttemptAnswer>> {
  const { input, provider, deployment } = attempt
  const ingress = input.ingress
  let request: ChatRequest
  try {
    request = ingress.toCanonical(input.body, deployment.model)
  } catch (error) {
    return failed(attempt, error)
  }
  const missing = missingCapabilities(request, provider, deployment.model)
  if (missing.length > 0) return attempt.unsupported(unsupportedMessage(missing, provider, deployment.model))
  const warnings = translationWarnings(request, provider)
  const noted = warnings.length > 0 ? { warnings } : {}

  if (!input.stream) {
    try {
      const response = await provider.doChat(request, attempt.ctx)
      attempt.committed()
      const json = ingress.fromCanonicalResponse(response, publicModel) as Record<string, unknown>
      return { kind: 'success', status: 200, value: { status: 200, contentType: 'application/json', body: JSON.stringify(json), json, completion: Promise.resolve({ usage: response.usage, clientDisconnected: false }), ...noted } }
    } catch (error) {
      return failed(attempt, error)
    }
  }

  let parts: AsyncIterator<StreamPart>
  let first: IteratorResult<StreamPart>
  try {
    parts = (await provider.doStream(request, attempt.ctx))[Symbol.asyncIterator]()
    first = await parts.next()
  } catch (error) {
    return failed(attempt, error)
  }
  if (first.done) return attempt.fail({ cause: new Error('upstream ended the stream before its first part') }, 'stream_ended_before_first_chunk')
  if (first.value.type === 'error') return attempt.fail({ cause: new Error(first.value.message) }, 'stream_error_before_first_chunk')

  const encoder = ingress.createStreamEncoder(publicModel, input.requestId, input.body)
  const progress: RelayProgress = { done: false }
  const translate = (part: StreamPart): string | null => {
    if (part.type === 'usage') progress.usage = part.usage
    if (part.type === 'error') progress.upstreamError = part.message
    const text = encoder.encode(part)
    if (encoder.done && part.type !== 'error') progress.done = true
    return text || null
  }
  attempt.committed()
  return { kind: 'success', status: 200, value: { ...streamAnswer(attempt, parts, translate, progress, translate(first.value), (e) => ingress.errorEvent(e)), ...noted } }
}
