import type { Dialect } from '@modelmesh/core'

/**
 * What the conformance suite needs to know about a dialect's wire format to exercise
 * `doForward`. One exists per dialect the testkit has a fake upstream for.
 */
export interface DialectFixture {
  /** Path below `baseURL`'s path where the fake serves chat calls, e.g. `/chat/completions`. */
  readonly chatPath: string
  /** The chat path for a model, for dialects that put the model in the URL (Gemini); wins over `chatPath`. */
  chatPathFor?(model: string): string
  /** The `operation` passed to `doForward` for a chat call. */
  readonly forwardOperation: string
  /** A minimal native chat body asking for `prompt`, carrying {@link UNKNOWN_FIELD} (which must survive). */
  forwardBody(model: string, prompt: string, stream: boolean): Record<string, unknown>
  /** The assistant text of a native non-streamed answer. */
  textOfAnswer(answer: unknown): string | undefined
  /** The assistant text delta of one native SSE event's data, if it carries one. */
  textOfEvent(data: string): string | undefined
  /** Whether `data` is the native end-of-stream marker, e.g. `[DONE]`. */
  isDoneEvent(data: string): boolean
}

/** Field name added to forwarded bodies; providers must pass unknown fields through. */
export const UNKNOWN_FIELD = 'x_modelmesh_conformance'

const openAIChat: DialectFixture = {
  chatPath: '/chat/completions',
  forwardOperation: 'chat/completions',
  forwardBody(model, prompt, stream) {
    const body: Record<string, unknown> = { model, messages: [{ role: 'user', content: prompt }], [UNKNOWN_FIELD]: 'kept' }
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } })
    return body
  },
  textOfAnswer(answer) {
    const content = (answer as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content
    return typeof content === 'string' ? content : undefined
  },
  textOfEvent(data) {
    if (data === '[DONE]') return undefined
    const content = (JSON.parse(data) as { choices?: Array<{ delta?: { content?: unknown } }> }).choices?.[0]?.delta?.content
    return typeof content === 'string' ? content : undefined
  },
  isDoneEvent: (data) => data === '[DONE]',
}

const parse = (data: string): Record<string, any> | undefined => {
  try {
    return JSON.parse(data) as Record<string, any>
  } catch {
    return undefined
  }
}

const anthropicMessages: DialectFixture = {
  chatPath: '/messages',
  forwardOperation: 'messages',
  forwardBody(model, prompt, stream) {
    return { model, max_tokens: 256, messages: [{ role: 'user', content: prompt }], [UNKNOWN_FIELD]: 'kept', ...(stream && { stream: true }) }
  },
  textOfAnswer(answer) {
    const content = (answer as { content?: Array<{ type?: string; text?: unknown }> })?.content
    return Array.isArray(content) ? content.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('') : undefined
  },
  textOfEvent(data) {
    const event = parse(data)
    return event?.type === 'content_block_delta' && event.delta?.type === 'text_delta' ? String(event.delta.text) : undefined
  },
  isDoneEvent: (data) => parse(data)?.type === 'message_stop',
}

const googleText = (response: unknown): string | undefined => {
  const parts = (response as { candidates?: Array<{ content?: { parts?: Array<{ text?: unknown; thought?: unknown }> } }> })?.candidates?.[0]?.content?.parts
  return Array.isArray(parts) ? parts.map((part) => (typeof part.text === 'string' && !part.thought ? part.text : '')).join('') : undefined
}

/** Gemini: the model is in the URL; `doForward` takes it from `body.model` and picks the streaming method when asked to stream. */
const googleGenerate: DialectFixture = {
  chatPath: '/models/{model}:generateContent',
  chatPathFor: (model) => `/models/${model}:generateContent`,
  forwardOperation: 'generateContent',
  forwardBody(model, prompt) {
    return { model, contents: [{ role: 'user', parts: [{ text: prompt }] }], [UNKNOWN_FIELD]: 'kept' }
  },
  textOfAnswer: googleText,
  textOfEvent: (data) => googleText(parse(data)),
  isDoneEvent: (data) => typeof parse(data)?.candidates?.[0]?.finishReason === 'string',
}

/** Built-in fixtures, by dialect. Dialects without a fake upstream yet are absent. */
export const dialectFixtures: Partial<Record<Dialect, DialectFixture>> = {
  'openai.chat': openAIChat,
  'anthropic.messages': anthropicMessages,
  'google.generate': googleGenerate,
}
