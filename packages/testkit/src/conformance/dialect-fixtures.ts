import type { Dialect } from '@modelmesh/core'

/**
 * What the conformance suite needs to know about a dialect's wire format to exercise
 * `doForward`. One exists per dialect the testkit has a fake upstream for.
 */
export interface DialectFixture {
  /** Path below `baseURL`'s path where the fake serves chat calls, e.g. `/chat/completions`. */
  readonly chatPath: string
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

/** Built-in fixtures, by dialect. Dialects without a fake upstream yet are absent. */
export const dialectFixtures: Partial<Record<Dialect, DialectFixture>> = {
  'openai.chat': openAIChat,
}
