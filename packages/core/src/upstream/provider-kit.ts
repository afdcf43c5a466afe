import type { ErrorClassification, UpstreamFailure } from '../contracts/error-classification.js'
import type { UpstreamResponse } from '../contracts/provider.js'
import type { StreamPart } from '../contracts/stream-part.js'
import { UpstreamError } from '../errors/upstream-error.js'

/** How much of an error body is kept: enough for the message, never a whole runaway answer. */
export const MAX_ERROR_BODY = 4096

/** Read at most {@link MAX_ERROR_BODY} characters of a body, then release the connection. */
export async function readBounded(response: Pick<UpstreamResponse, 'body' | 'cancel'>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of response.body) {
    text += decoder.decode(chunk, { stream: true })
    if (text.length >= MAX_ERROR_BODY) {
      await response.cancel()
      return text.slice(0, MAX_ERROR_BODY)
    }
  }
  return text + decoder.decode()
}

/** `: <message>` from an `{ error: { message } }` body (OpenAI, Anthropic and Google all use it), or ''. */
export function upstreamMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message
    return typeof message === 'string' && message ? `: ${message}` : ''
  } catch {
    return ''
  }
}

/** Throw the classified {@link UpstreamError} for a non-2xx answer; return for a 2xx one. */
export async function throwOnErrorStatus(providerId: string, response: UpstreamResponse, classify: (failure: UpstreamFailure) => ErrorClassification): Promise<void> {
  if (response.status >= 200 && response.status < 300) return
  const body = await readBounded(response).catch(() => '')
  throw new UpstreamError({
    message: `${providerId} upstream answered ${response.status}${upstreamMessage(body)}`,
    status: response.status,
    body,
    headers: { ...response.headers },
    classification: classify({ status: response.status, headers: response.headers, body }),
  })
}

/**
 * Canonical parts of a stream, where a connection that breaks mid-stream ends it with an `error`
 * part instead of a throw — unless the engine aborted on purpose (timeout, shutdown), which it
 * already knows about.
 */
export async function* guardedParts(parts: AsyncIterable<StreamPart>, signal: AbortSignal): AsyncGenerator<StreamPart> {
  try {
    yield* parts
  } catch (error) {
    if (signal.aborted) throw error
    yield { type: 'error', message: `The upstream connection broke mid-stream: ${(error as Error)?.message ?? String(error)}`, code: 'connection_error' }
  }
}
