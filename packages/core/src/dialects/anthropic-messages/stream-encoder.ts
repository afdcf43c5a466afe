import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { anthropicErrorEvent } from './error.js'
import { canonicalFinishReasonToAnthropic, canonicalUsageToAnthropic } from './mapping.js'

export interface AnthropicEventEncoderOptions {
  /** Extra fields for the final `message_delta` usage (e.g. the gateway's `cost`), read when rendered. */
  usageExtras?: () => Readonly<Record<string, unknown>> | undefined
}

export interface AnthropicEventEncoder {
  /** SSE text for one part; may be several events, or '' when the part has nothing to show. */
  encode(part: StreamPart): string
  /** True after `finish` or `error`: `message_stop` (or `error`) has been written. */
  readonly done: boolean
}

type Block = { kind: 'text' | 'thinking' | 'tool'; index: number }

/**
 * Render canonical {@link StreamPart}s as the event sequence Anthropic clients read:
 * `message_start`, then per content block `content_block_start` / `content_block_delta`
 * (`text_delta`, `thinking_delta`, `signature_delta`, `input_json_delta`) / `content_block_stop`,
 * then `message_delta` (stop reason and the cumulative usage) and `message_stop`. Every event is
 * named (`event: …`): Anthropic's SDKs ignore unnamed ones. `message_start` carries zero usage
 * because most providers report usage only at the end; the final `message_delta` carries it all,
 * which is where Anthropic's SDKs read the totals from. An `error` part becomes `event: error`.
 */
export function createAnthropicEventEncoder(publicModel: string, id: string, options: AnthropicEventEncoderOptions = {}): AnthropicEventEncoder {
  let started = false
  let done = false
  let usage: Usage | undefined
  let current: Block | undefined
  let nextIndex = 0
  const tools = new Map<number, number>()

  const event = (name: string, payload: Record<string, unknown>) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...payload })}\n\n`
  const start = () => {
    if (started) return ''
    started = true
    const message = { id, type: 'message', role: 'assistant', model: publicModel, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } }
    return event('message_start', { message })
  }
  const close = () => {
    if (!current) return ''
    const index = current.index
    current = undefined
    return event('content_block_stop', { index })
  }
  const open = (kind: Block['kind'], contentBlock: Record<string, unknown>) => {
    const out = close()
    current = { kind, index: nextIndex++ }
    return out + event('content_block_start', { index: current.index, content_block: contentBlock })
  }
  const delta = (index: number, payload: Record<string, unknown>) => event('content_block_delta', { index, delta: payload })

  return {
    get done() {
      return done
    },
    encode(part) {
      if (done) return ''
      switch (part.type) {
        case 'start':
          return start()
        case 'text-delta': {
          if (!part.delta) return start()
          let out = start()
          if (current?.kind !== 'text') out += open('text', { type: 'text', text: '' })
          return out + delta(current!.index, { type: 'text_delta', text: part.delta })
        }
        case 'reasoning-delta': {
          let out = start()
          if (current?.kind !== 'thinking') out += open('thinking', { type: 'thinking', thinking: '', signature: '' })
          if (part.delta) out += delta(current!.index, { type: 'thinking_delta', thinking: part.delta })
          if (part.signature) out += delta(current!.index, { type: 'signature_delta', signature: part.signature })
          return out
        }
        case 'tool-call-delta': {
          let out = start()
          let index = tools.get(part.index)
          if (index === undefined) {
            out += open('tool', { type: 'tool_use', id: part.id ?? `toolu_${id}_${part.index}`, name: part.name ?? '', input: {} })
            index = current!.index
            tools.set(part.index, index)
          }
          return part.argumentsDelta ? out + delta(index, { type: 'input_json_delta', partial_json: part.argumentsDelta }) : out
        }
        case 'usage':
          usage = part.usage
          return ''
        case 'finish': {
          done = true
          const finalUsage = { output_tokens: 0, ...canonicalUsageToAnthropic(usage ?? {}, options.usageExtras?.()) }
          const stopSequence = part.providerMetadata?.anthropic?.stop_sequence
          return (
            start() +
            close() +
            event('message_delta', { delta: { stop_reason: canonicalFinishReasonToAnthropic(part.finishReason), stop_sequence: typeof stopSequence === 'string' ? stopSequence : null }, usage: finalUsage }) +
            event('message_stop', {})
          )
        }
        case 'error':
          done = true
          return anthropicErrorEvent(part.code === 'overloaded_error' ? 'overloaded_error' : 'api_error', part.message)
      }
    },
  }
}
