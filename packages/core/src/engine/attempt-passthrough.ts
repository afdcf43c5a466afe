import type { UpstreamResponse } from '../contracts/provider.js'
import type { Usage } from '../contracts/usage.js'
import { readBounded } from '../upstream/provider-kit.js'
import { parseSSE, type SSEEvent } from '../upstream/sse.js'
import type { Attempt, AttemptAnswer } from './attempt-context.js'
import type { AttemptResult } from './attempt-loop.js'
import type { PassthroughDialect, RelayState } from './passthrough/passthrough-dialect.js'
import { TextRelay, type RelayOptions, type RelayOutcome, type RelayProgress } from './stream-relay.js'

/** Same dialect on both sides: forward the client's body with minimal edits, relay the answer. */
export async function passthroughAttempt(attempt: Attempt, dialect: PassthroughDialect): Promise<AttemptResult<AttemptAnswer>> {
  const { input, deployment } = attempt
  let response: UpstreamResponse
  try {
    const body = dialect.prepareBody(input.body, deployment.model, input.stream)
    response = await attempt.provider.doForward({ operation: dialect.operation, body, stream: input.stream }, attempt.ctx)
  } catch (cause) {
    return attempt.fail({ cause })
  }

  attempt.observeHeaders(response.headers)
  if (response.status >= 400) {
    const text = await readBounded(response).catch(() => '')
    const result = attempt.fail({ status: response.status, headers: response.headers, body: text })
    if (!result.failure.classification.retryable) {
      // The upstream refused the request itself: answer with its own error (same dialect).
      const answer: AttemptAnswer = { status: response.status, contentType: response.headers['content-type'] ?? 'application/json', body: text, completion: Promise.resolve({ usage: undefined, clientDisconnected: false }) }
      return { kind: 'final', status: response.status, failure: result.failure, value: answer }
    }
    return result
  }

  if (!input.stream) {
    let text: string
    try {
      text = await response.text()
    } catch (cause) {
      return attempt.fail({ cause })
    }
    let json: Record<string, unknown>
    try {
      json = JSON.parse(text) as Record<string, unknown>
      if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object')
    } catch {
      return attempt.fail({ cause: new Error('upstream answered 200 with a body that is not a JSON object') }, 'invalid_upstream_response')
    }
    const usage: Usage | undefined = dialect.usageFromResponse(json)
    attempt.committed()
    return { kind: 'success', status: 200, value: { status: 200, contentType: 'application/json', body: text, json, completion: Promise.resolve({ usage, clientDisconnected: false }) } }
  }

  const events = parseSSE(response.body)[Symbol.asyncIterator]()
  const state: RelayState = { clientWantsUsage: dialect.clientWantsUsage(input.body), done: false }
  let first: IteratorResult<SSEEvent>
  try {
    first = await events.next()
  } catch (cause) {
    return attempt.fail({ cause })
  }
  if (first.done) return attempt.fail({ cause: new Error('upstream ended the stream before its first chunk') }, 'stream_ended_before_first_chunk')
  const firstText = dialect.relayEvent(first.value, state)
  if (state.malformed !== undefined) {
    await response.cancel().catch(() => {})
    return attempt.fail({ cause: new Error(`upstream sent a malformed first chunk: ${state.malformed}`) }, 'malformed_stream_chunk')
  }
  attempt.committed()
  return { kind: 'success', status: 200, value: streamAnswer(attempt, events, (event) => dialect.relayEvent(event, state), state, firstText, (e) => dialect.errorEvent(e)) }
}

/** Wrap a committed upstream stream as the client's SSE answer. */
export function streamAnswer<T>(
  attempt: Attempt,
  items: AsyncIterator<T>,
  translate: (item: T) => string | null,
  progress: RelayProgress,
  first: string | null,
  errorEvent: RelayOptions<T>['errorEvent'],
): AttemptAnswer {
  let resolve!: (outcome: RelayOutcome) => void
  const completion = new Promise<RelayOutcome>((r) => (resolve = r))
  const body = new TextRelay({
    items,
    translate,
    progress,
    first,
    errorEvent,
    idleTimeoutMs: attempt.timeouts.idleMs,
    abortUpstream: (reason) => attempt.abort.abort(new Error(reason)),
    onEnd: (outcome) => {
      attempt.clearTimers()
      resolve(outcome)
    },
  })
  return { status: 200, contentType: 'text/event-stream; charset=utf-8', body, completion }
}
