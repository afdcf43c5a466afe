import type { FinishReason } from '../../contracts/finish-reason.js'
import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { parseSSE, type SSEEvent } from '../../upstream/sse.js'
import { anthropicStopReasonToCanonical, anthropicUsageToCanonical } from './mapping.js'
import type { AnthropicUsage } from './wire-types.js'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A stateful decoder of parsed Anthropic stream events. Create one per stream. */
export interface AnthropicEventDecoder {
  /** Decode one parsed event (the JSON of one SSE `data:` line; its `type` names the event). */
  push(event: unknown): StreamPart[]
  /** The body ended: a stream without `message_stop` was cut short and ends with an `error` part. */
  end(): StreamPart[]
  /** True once a `finish` or `error` part was produced; nothing follows it. */
  readonly finished: boolean
}

/**
 * Merge usage the way Anthropic reports it: `message_start` carries the first counts, each
 * `message_delta` the cumulative totals of the fields it names (absent or null fields keep theirs).
 */
export function mergeAnthropicUsage(into: AnthropicUsage, next: unknown): AnthropicUsage {
  if (!isObject(next)) return into
  const merged: AnthropicUsage = { ...into }
  for (const [key, value] of Object.entries(next)) if (value !== null && value !== undefined) merged[key] = value
  return merged
}

/**
 * Create a decoder from Anthropic stream events to canonical {@link StreamPart}s: `start` on
 * `message_start`, text / thinking / tool-call deltas per content block (tool calls numbered in
 * order of appearance), and one `usage` and one `finish` on `message_stop`. `ping` is ignored; an
 * `error` event becomes an `error` part.
 */
export function anthropicEventsToParts(): AnthropicEventDecoder {
  let finished = false
  let usage: AnthropicUsage | undefined
  let finish: FinishReason | undefined
  let stopSequence: string | undefined
  /** Anthropic block index → canonical tool-call index, and whether it got argument text. */
  const tools = new Map<number, { index: number; hasArguments: boolean }>()

  const decoder: AnthropicEventDecoder = {
    get finished() {
      return finished
    },
    push(raw) {
      if (finished || !isObject(raw)) return []
      const parts: StreamPart[] = []
      const blockIndex = typeof raw.index === 'number' ? raw.index : -1
      switch (raw.type) {
        case 'message_start': {
          const message = isObject(raw.message) ? raw.message : {}
          usage = mergeAnthropicUsage({}, message.usage)
          parts.push({ type: 'start', id: String(message.id ?? ''), model: String(message.model ?? '') })
          break
        }
        case 'content_block_start': {
          const block = isObject(raw.content_block) ? raw.content_block : {}
          if (block.type === 'text' && typeof block.text === 'string' && block.text) parts.push({ type: 'text-delta', delta: block.text })
          else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) parts.push({ type: 'reasoning-delta', delta: block.thinking })
          else if (block.type === 'tool_use') {
            const tool = { index: tools.size, hasArguments: false }
            tools.set(blockIndex, tool)
            const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : ''
            tool.hasArguments = input !== ''
            parts.push({ type: 'tool-call-delta', index: tool.index, id: String(block.id ?? ''), name: String(block.name ?? ''), argumentsDelta: input })
          }
          break
        }
        case 'content_block_delta': {
          const delta = isObject(raw.delta) ? raw.delta : {}
          if (delta.type === 'text_delta' && typeof delta.text === 'string') parts.push({ type: 'text-delta', delta: delta.text })
          else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') parts.push({ type: 'reasoning-delta', delta: delta.thinking })
          else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') parts.push({ type: 'reasoning-delta', delta: '', signature: delta.signature })
          else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
            const tool = tools.get(blockIndex)
            if (tool && delta.partial_json) {
              tool.hasArguments = true
              parts.push({ type: 'tool-call-delta', index: tool.index, argumentsDelta: delta.partial_json })
            }
          }
          break
        }
        case 'content_block_stop': {
          // A tool called without arguments streams no JSON at all; canonically that is `{}`.
          const tool = tools.get(blockIndex)
          if (tool && !tool.hasArguments) {
            tool.hasArguments = true
            parts.push({ type: 'tool-call-delta', index: tool.index, argumentsDelta: '{}' })
          }
          break
        }
        case 'message_delta': {
          const delta = isObject(raw.delta) ? raw.delta : {}
          if (typeof delta.stop_reason === 'string') finish = anthropicStopReasonToCanonical(delta.stop_reason)
          if (typeof delta.stop_sequence === 'string') stopSequence = delta.stop_sequence
          usage = mergeAnthropicUsage(usage ?? {}, raw.usage)
          break
        }
        case 'message_stop': {
          finished = true
          if (usage) parts.push({ type: 'usage', usage: anthropicUsageToCanonical(usage) as Usage })
          const reason = finish ?? { unified: 'other' as const }
          parts.push(stopSequence ? { type: 'finish', finishReason: reason, providerMetadata: { anthropic: { stop_sequence: stopSequence } } } : { type: 'finish', finishReason: reason })
          break
        }
        case 'error': {
          finished = true
          const error = isObject(raw.error) ? raw.error : {}
          parts.push({ type: 'error', message: String(error.message ?? 'Upstream error'), ...(typeof error.type === 'string' && { code: error.type }), raw })
          break
        }
      }
      return parts
    },
    end() {
      if (finished) return []
      finished = true
      const parts: StreamPart[] = []
      if (usage) parts.push({ type: 'usage', usage: anthropicUsageToCanonical(usage) })
      parts.push({ type: 'error', message: 'The upstream stream ended before message_stop', code: 'stream_truncated' })
      return parts
    },
  }
  return decoder
}

/** The JSON of one Anthropic SSE event, or undefined when it is not JSON. `event:` names win over `type`. */
export function parseAnthropicEvent(event: SSEEvent): Json | undefined {
  try {
    const data = JSON.parse(event.data) as unknown
    if (!isObject(data)) return undefined
    return event.event && data.type === undefined ? { ...data, type: event.event } : data
  } catch {
    return undefined
  }
}

/**
 * An Anthropic SSE body → canonical {@link StreamPart}s, event by event. Ends after the `finish`
 * part or after an `error` part (upstream error event, malformed JSON, or a body cut short).
 * Network errors of the body itself propagate as thrown errors.
 */
export async function* anthropicStreamToParts(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamPart> {
  const decoder = anthropicEventsToParts()
  for await (const event of parseSSE(body)) {
    const json = parseAnthropicEvent(event)
    if (!json) {
      yield { type: 'error', message: 'The upstream sent a stream event that is not JSON', code: 'invalid_stream_event', raw: event.data.slice(0, 1024) }
      return
    }
    yield* decoder.push(json)
    if (decoder.finished) return
  }
  yield* decoder.end()
}
