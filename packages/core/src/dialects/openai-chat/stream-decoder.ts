import type { FinishReason } from '../../contracts/finish-reason.js'
import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { parseSSE } from '../../upstream/sse.js'
import { openAIFinishReasonToCanonical, openAIUsageToCanonical } from './mapping.js'
import type { OpenAIChatCompletionChunk, OpenAIUsage } from './wire-types.js'

type Json = Record<string, unknown>

/** A stateful decoder of parsed `chat.completion.chunk` objects. Create one per stream. */
export interface OpenAIChunkDecoder {
  /** Decode one parsed chunk (the JSON of one SSE `data:` line). */
  push(chunk: unknown): StreamPart[]
  /**
   * The upstream stream is over: `'done'` after `data: [DONE]`, `'eof'` when the body simply ended.
   * Returns the trailing `usage` and `finish` parts, or an `error` part if the stream was cut short.
   */
  end(how: 'done' | 'eof'): StreamPart[]
  /** True once a `finish` or `error` part was produced; nothing follows it. */
  readonly finished: boolean
}

/**
 * Create a decoder from OpenAI chunks to canonical {@link StreamPart}s: `start` on the first real
 * chunk, then `reasoning-delta` (`delta.reasoning_content` / `delta.reasoning`), `text-delta` and
 * `tool-call-delta`, and at the end one `usage` (the last one reported) and one `finish`.
 * OpenAI sends `finish_reason` before its usage chunk, so the finish is held back until the end:
 * the canonical stream ends with `finish`. Only choice 0 is read.
 */
export function openAIChunksToParts(): OpenAIChunkDecoder {
  let started = false
  let finished = false
  let finish: FinishReason | undefined
  let usage: Usage | undefined
  let refusal = ''
  let fingerprint: string | undefined

  const decoder: OpenAIChunkDecoder = {
    get finished() {
      return finished
    },
    push(raw) {
      if (finished || typeof raw !== 'object' || raw === null) return []
      const json = raw as Json
      if (typeof json.error === 'object' && json.error !== null) {
        finished = true
        const error = json.error as Json
        return [{ type: 'error', message: String(error.message ?? 'Upstream error'), ...(error.code != null && { code: String(error.code) }), raw: json }]
      }
      const chunk = json as Partial<OpenAIChatCompletionChunk>
      const parts: StreamPart[] = []
      // Groq reports usage under `x_groq`; others on the last chunk (or, for some, on every chunk).
      const reported = (chunk.usage ?? (chunk.x_groq as { usage?: OpenAIUsage } | undefined)?.usage) as OpenAIUsage | null | undefined
      const choices = Array.isArray(chunk.choices) ? chunk.choices : []
      if (!started) {
        // Azure opens with a content-filter chunk that has no choices, id or model: not the real start.
        if (choices.length === 0 && !reported) return []
        started = true
        parts.push({ type: 'start', id: String(chunk.id ?? ''), model: String(chunk.model ?? ''), ...(typeof chunk.created === 'number' && { created: chunk.created }) })
      }
      if (typeof chunk.system_fingerprint === 'string') fingerprint = chunk.system_fingerprint
      if (reported && typeof reported === 'object') usage = openAIUsageToCanonical(reported)

      const choice = choices.find((c) => (c?.index ?? 0) === 0)
      if (!choice) return parts
      const delta = choice.delta ?? {}
      const reasoning = delta.reasoning_content ?? delta.reasoning
      if (typeof reasoning === 'string' && reasoning) parts.push({ type: 'reasoning-delta', delta: reasoning })
      if (typeof delta.content === 'string' && delta.content) parts.push({ type: 'text-delta', delta: delta.content })
      if (typeof delta.refusal === 'string') refusal += delta.refusal
      for (const call of delta.tool_calls ?? []) {
        parts.push({
          type: 'tool-call-delta',
          index: typeof call.index === 'number' ? call.index : 0,
          ...(call.id && { id: call.id }),
          ...(call.function?.name && { name: call.function.name }),
          argumentsDelta: call.function?.arguments ?? '',
        })
      }
      if (choice.finish_reason) finish = openAIFinishReasonToCanonical(choice.finish_reason)
      return parts
    },
    end(how) {
      if (finished) return []
      finished = true
      const parts: StreamPart[] = []
      if (usage) parts.push({ type: 'usage', usage })
      // `[DONE]` without a finish reason is an odd but complete stream; a bare end of body is a cut.
      const reason = finish ?? (how === 'done' ? { unified: 'other' as const } : undefined)
      if (!reason) {
        parts.push({ type: 'error', message: 'The upstream stream ended before it finished', code: 'stream_truncated' })
        return parts
      }
      const metadata = { ...(refusal && { refusal }), ...(fingerprint && { system_fingerprint: fingerprint }) }
      parts.push(Object.keys(metadata).length > 0 ? { type: 'finish', finishReason: reason, providerMetadata: { openai: metadata } } : { type: 'finish', finishReason: reason })
      return parts
    },
  }
  return decoder
}

/**
 * An OpenAI SSE body → canonical {@link StreamPart}s, chunk by chunk. Ends after the `finish` part,
 * or after an `error` part (upstream error event, malformed JSON, or a body cut short).
 * Network errors of the body itself propagate as thrown errors.
 */
export async function* openAIStreamToParts(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamPart> {
  const decoder = openAIChunksToParts()
  for await (const event of parseSSE(body)) {
    if (event.data === '[DONE]') {
      yield* decoder.end('done')
      return
    }
    let chunk: unknown
    try {
      chunk = JSON.parse(event.data)
    } catch {
      yield { type: 'error', message: 'The upstream sent a stream event that is not JSON', code: 'invalid_stream_event', raw: event.data.slice(0, 1024) }
      return
    }
    yield* decoder.push(chunk)
    if (decoder.finished) return
  }
  yield* decoder.end('eof')
}
