import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { canonicalFinishReasonToOpenAI, canonicalUsageToOpenAI } from './mapping.js'

export interface OpenAIChunkEncoderOptions {
  /** The client asked for `stream_options.include_usage`: send the final `choices: []` usage chunk. */
  includeUsage?: boolean
  /** Extra fields for the usage chunk (e.g. the gateway's `cost`), read when it is rendered. */
  usageExtras?: () => Readonly<Record<string, unknown>> | undefined
}

export interface OpenAIChunkEncoder {
  /** SSE text for one part; may be several events, or '' when the part has nothing to show. */
  encode(part: StreamPart): string
  /** True after `finish` or `error`: `data: [DONE]` has been written and nothing more will be. */
  readonly done: boolean
}

const DONE = 'data: [DONE]\n\n'

/**
 * Render canonical {@link StreamPart}s as the `chat.completion.chunk` SSE stream OpenAI clients read:
 * a first chunk with `role: 'assistant'`, content/reasoning/tool-call deltas, a finish chunk, the
 * usage chunk (`choices: []`) only when asked, then `data: [DONE]`. An `error` part becomes
 * `data: {"error":{…}}` followed by `[DONE]`, so every stream ends the same way.
 */
export function createOpenAIChunkEncoder(publicModel: string, id: string, created: number, options: OpenAIChunkEncoderOptions = {}): OpenAIChunkEncoder {
  let opened = false
  let done = false
  let usage: Usage | undefined

  const event = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    event({ id, object: 'chat.completion.chunk', created, model: publicModel, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })
  // OpenAI's first chunk carries the role; any first delta is preceded by it.
  const open = () => {
    if (opened) return ''
    opened = true
    return chunk({ role: 'assistant', content: '' })
  }

  return {
    get done() {
      return done
    },
    encode(part) {
      if (done) return ''
      switch (part.type) {
        case 'start':
          return open()
        case 'text-delta':
          return open() + chunk({ content: part.delta })
        case 'reasoning-delta':
          return open() + chunk({ reasoning_content: part.delta })
        case 'tool-call-delta': {
          const fn: Record<string, string> = { arguments: part.argumentsDelta }
          if (part.name !== undefined) fn.name = part.name
          const call = part.id !== undefined ? { index: part.index, id: part.id, type: 'function', function: fn } : { index: part.index, function: fn }
          return open() + chunk({ tool_calls: [call] })
        }
        case 'usage':
          usage = part.usage
          return ''
        case 'finish': {
          done = true
          let out = open() + chunk({}, canonicalFinishReasonToOpenAI(part.finishReason))
          if (options.includeUsage) {
            const openAIUsage = canonicalUsageToOpenAI(usage ?? {}, options.usageExtras?.())
            out += event({ id, object: 'chat.completion.chunk', created, model: publicModel, choices: [], usage: openAIUsage })
          }
          return out + DONE
        }
        case 'error':
          done = true
          return event({ error: { message: part.message, type: 'upstream_error', param: null, code: part.code ?? null } }) + DONE
      }
    },
  }
}
