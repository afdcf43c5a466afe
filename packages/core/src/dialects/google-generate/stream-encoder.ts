import type { StreamPart } from '../../contracts/stream-part.js'
import type { Usage } from '../../contracts/usage.js'
import { googleStatusName } from './error.js'
import { canonicalFinishReasonToGoogle, canonicalUsageToGoogle } from './mapping.js'

export interface GoogleChunkEncoder {
  encode(part: StreamPart): string
  readonly done: boolean
}

/**
 * Render canonical {@link StreamPart}s as Gemini SSE chunks (`data: {GenerateContentResponse}`):
 * one chunk per text or reasoning delta, one per tool call (its arguments gathered first, because
 * Gemini sends a call whole), and a last chunk with `finishReason` and `usageMetadata`.
 */
export function createGoogleChunkEncoder(publicModel: string, id: string): GoogleChunkEncoder {
  let done = false
  let usage: Usage | undefined
  const calls = new Map<number, { id?: string; name: string; args: string }>()
  const chunk = (candidate: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ candidates: [{ index: 0, ...candidate }], ...extra, modelVersion: publicModel, responseId: id })}\r\n\r\n`
  const flushCalls = () => {
    if (calls.size === 0) return ''
    const parts = [...calls.values()].map((call) => ({ functionCall: { ...(call.id && { id: call.id }), name: call.name, args: safeArgs(call.args) } }))
    calls.clear()
    return chunk({ content: { role: 'model', parts } })
  }
  return {
    get done() {
      return done
    },
    encode(part) {
      if (done) return ''
      switch (part.type) {
        case 'start':
          return ''
        case 'text-delta':
          return part.delta ? flushCalls() + chunk({ content: { role: 'model', parts: [{ text: part.delta }] } }) : ''
        case 'reasoning-delta':
          return part.delta ? chunk({ content: { role: 'model', parts: [{ text: part.delta, thought: true }] } }) : ''
        case 'tool-call-delta': {
          const call = calls.get(part.index) ?? { name: '', args: '' }
          if (part.id !== undefined) call.id = part.id
          if (part.name !== undefined) call.name = part.name
          call.args += part.argumentsDelta
          calls.set(part.index, call)
          return ''
        }
        case 'usage':
          usage = part.usage
          return ''
        case 'finish':
          done = true
          return flushCalls() + chunk({ content: { role: 'model', parts: [] }, finishReason: canonicalFinishReasonToGoogle(part.finishReason) }, { usageMetadata: canonicalUsageToGoogle(usage ?? {}) })
        case 'error':
          done = true
          return `data: ${JSON.stringify({ error: { code: 502, message: part.message, status: googleStatusName(502) } })}\r\n\r\n`
      }
    },
  }
}

function safeArgs(text: string): unknown {
  try {
    return text.trim() ? JSON.parse(text) : {}
  } catch {
    return { _raw: text }
  }
}
