import { randomBytes } from 'node:crypto'
import type { Behavior, FakeUsage, RecordedCall } from './types.js'

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

// Random bytes are drawn 4 KiB at a time: one call into the system's generator per ~170 ids instead
// of one per id (the fakes make two or three ids per answer; a benchmark's fake answers thousands a second).
const POOL_SIZE = 4096
let pool = Buffer.alloc(0)
let poolAt = 0

export function randomId(prefix: string, length = 24): string {
  if (poolAt + length > pool.length) {
    pool = randomBytes(Math.max(POOL_SIZE, length))
    poolAt = 0
  }
  let id = prefix
  for (let i = poolAt; i < poolAt + length; i++) id += ID_ALPHABET[pool[i]! % ID_ALPHABET.length]
  poolAt += length
  return id
}

/** Tokens as the fakes count them: a quarter of the characters, rounded up. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

/** What to answer, whatever the dialect: text, tool calls (arguments as JSON text) and usage. */
export interface PlannedAnswer {
  text: string | null
  toolCalls: Array<{ id: string | undefined; name: string; arguments: string }>
  /** Null when the behavior asked for no usage at all. */
  usage: FakeUsage | null
}

/**
 * Works out the answer to a chat call under a behavior: the scripted reply, else an echo of the
 * last user text (`You said: …`), else `fallbackText`; usage as scripted, else estimated from the
 * characters of `promptText` and of the answer.
 */
export function planAnswer(behavior: Behavior, call: RecordedCall, input: { promptText: string; lastUserText: string | undefined; fallbackText: string }): PlannedAnswer {
  const toolCalls = (behavior.toolCalls ?? []).map((toolCall) => ({
    id: toolCall.id,
    name: toolCall.name,
    arguments: typeof toolCall.arguments === 'string' ? toolCall.arguments : JSON.stringify(toolCall.arguments),
  }))
  let text: string | null = null
  if (typeof behavior.reply === 'function') text = behavior.reply(call)
  else if (typeof behavior.reply === 'string') text = behavior.reply
  else if (toolCalls.length === 0) text = input.lastUserText ? `You said: ${input.lastUserText}` : input.fallbackText
  const completionChars = (text ?? '') + toolCalls.map((toolCall) => toolCall.name + toolCall.arguments).join('')
  const usage =
    behavior.usage === null
      ? null
      : (behavior.usage ?? { prompt_tokens: Math.max(1, estimateTokens(input.promptText)), completion_tokens: estimateTokens(completionChars) })
  return { text, toolCalls, usage }
}

export function split(text: string, size: number): string[] {
  const pieces: string[] = []
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size))
  return pieces
}

export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** The text of message content that is a string or an array of `{ type: 'text', text }` parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => {
      const record = asRecord(part)
      return record.type === 'text' && typeof record.text === 'string' ? record.text : ''
    })
    .join('')
}
