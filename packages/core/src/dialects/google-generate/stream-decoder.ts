import type { FinishReason } from '../../contracts/finish-reason.js'
import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { parseSSE } from '../../upstream/sse.js'
import { googleFinishReasonToCanonical, googleUsageToCanonical } from './mapping.js'
import { googlePartToCanonical } from './response.js'
import type { GoogleGenerateContentResponse } from './wire-types.js'

/** A stateful decoder of parsed Gemini stream chunks. Create one per stream. */
export interface GoogleChunkDecoder {
  /** Decode one parsed chunk (the JSON of one SSE `data:` line: a `GenerateContentResponse`). */
  push(chunk: unknown): StreamPart[]
  /** The body ended (Gemini sends no end marker): usage and finish, or an error if no finish reason came. */
  end(): StreamPart[]
  readonly finished: boolean
}

/**
 * Create a decoder from Gemini `streamGenerateContent?alt=sse` chunks to canonical
 * {@link StreamPart}s. Every chunk is a whole `GenerateContentResponse`; its `usageMetadata` is the
 * running total, so the last one is kept. A function call arrives whole in one chunk and becomes two
 * `tool-call-delta`s: the id and name, then the complete arguments. The finish waits for the end of the body, since
 * the usage may still follow.
 */
export function googleChunksToParts(): GoogleChunkDecoder {
  let started = false
  let finished = false
  let usage: Usage | undefined
  let finishRaw: string | undefined
  let blockReason: string | undefined
  let tools = 0
  let id = ''
  let signature: string | undefined

  return {
    get finished() {
      return finished
    },
    push(raw) {
      if (finished || typeof raw !== 'object' || raw === null) return []
      const json = raw as GoogleGenerateContentResponse & { error?: { message?: unknown; status?: unknown } }
      if (json.error && typeof json.error === 'object') {
        finished = true
        return [{ type: 'error', message: String(json.error.message ?? 'Upstream error'), ...(typeof json.error.status === 'string' && { code: json.error.status }), raw }]
      }
      const parts: StreamPart[] = []
      if (!started) {
        started = true
        id = String(json.responseId ?? '')
        parts.push({ type: 'start', id, model: String(json.modelVersion ?? '') })
      }
      if (json.usageMetadata) usage = googleUsageToCanonical(json.usageMetadata)
      if (json.promptFeedback?.blockReason) blockReason = json.promptFeedback.blockReason
      const candidate = json.candidates?.[0]
      for (const part of candidate?.content?.parts ?? []) {
        const content = googlePartToCanonical(part, () => `call_${id}_${tools}`)
        if (!content) continue
        if (content.type === 'text' && content.text) parts.push({ type: 'text-delta', delta: content.text })
        else if (content.type === 'reasoning') parts.push({ type: 'reasoning-delta', delta: content.text })
        else if (content.type === 'tool-call') {
          // Gemini sends a call whole; it is passed on as a header (id, name) then its arguments, the shape clients know.
          parts.push({ type: 'tool-call-delta', index: tools, id: content.id, name: content.name, argumentsDelta: '' })
          parts.push({ type: 'tool-call-delta', index: tools++, argumentsDelta: content.arguments })
        }
        if (typeof part.thoughtSignature === 'string') signature = part.thoughtSignature
      }
      if (candidate?.finishReason) finishRaw = candidate.finishReason
      return parts
    },
    end() {
      if (finished) return []
      finished = true
      const parts: StreamPart[] = []
      if (usage) parts.push({ type: 'usage', usage })
      if (finishRaw === undefined && blockReason === undefined) {
        parts.push({ type: 'error', message: 'The upstream stream ended before a finish reason', code: 'stream_truncated' })
        return parts
      }
      const reason: FinishReason = googleFinishReasonToCanonical(finishRaw, tools > 0, blockReason)
      parts.push(signature ? { type: 'finish', finishReason: reason, providerMetadata: { google: { thoughtSignature: signature } } } : { type: 'finish', finishReason: reason })
      return parts
    },
  }
}

/**
 * A Gemini SSE body → canonical {@link StreamPart}s, chunk by chunk. Ends after the `finish` part or
 * after an `error` part (error chunk, malformed JSON, or a body cut before the finish reason).
 */
export async function* googleStreamToParts(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamPart> {
  const decoder = googleChunksToParts()
  for await (const event of parseSSE(body)) {
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
  yield* decoder.end()
}
