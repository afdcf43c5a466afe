import { asRecord, contentText, planAnswer, randomId, split } from '../fake-shared/answer-plan.js'
import type { Behavior, FakeUsage, RecordedCall } from '../fake-shared/types.js'

/** Anthropic's usage object as the fake reports it. */
export interface AnthropicFakeUsage {
  input_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
  output_tokens: number
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number }
  output_tokens_details?: { thinking_tokens: number }
  service_tier: 'standard'
}

export interface MessageAnswer {
  id: string
  model: string
  text: string | null
  toolCalls: Array<{ id: string; name: string; arguments: string }>
  stopReason: string
  usage: AnthropicFakeUsage | null
}

/** OpenAI-worded fake usage → Anthropic's: `input_tokens` leaves out cache reads and writes. */
export function anthropicUsage(usage: FakeUsage): AnthropicFakeUsage {
  const cached = usage.cached_tokens ?? 0
  const written = usage.cache_write_tokens ?? 0
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    output_tokens: usage.completion_tokens,
    cache_creation: { ephemeral_5m_input_tokens: written, ephemeral_1h_input_tokens: 0 },
    ...(usage.reasoning_tokens !== undefined && { output_tokens_details: { thinking_tokens: usage.reasoning_tokens } }),
    service_tier: 'standard',
  }
}

function promptText(body: Record<string, unknown>): string {
  const system = typeof body.system === 'string' ? body.system : contentText(body.system)
  const messages = Array.isArray(body.messages) ? body.messages : []
  return [system, ...messages.map((message) => contentText(asRecord(message).content))].join('\n')
}

function lastUserText(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages : []
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = asRecord(messages[index])
    const text = message.role === 'user' ? contentText(message.content) : ''
    if (text) return text
  }
  return undefined
}

export function planMessageAnswer(behavior: Behavior, call: RecordedCall): MessageAnswer {
  const body = asRecord(call.body)
  const plan = planAnswer(behavior, call, { promptText: promptText(body), lastUserText: lastUserText(body), fallbackText: 'Hello from the fake Anthropic upstream.' })
  const toolCalls = plan.toolCalls.map((toolCall) => ({ ...toolCall, id: toolCall.id ?? randomId('toolu_01') }))
  return {
    id: randomId('msg_01', 22),
    model: behavior.model ?? (typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5'),
    text: plan.text,
    toolCalls,
    stopReason: behavior.finishReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn'),
    usage: plan.usage === null ? null : anthropicUsage(plan.usage),
  }
}

const input = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return {}
  }
}

/** A `message` object, as Anthropic returns it for a non-streaming request. */
export function messageObject(answer: MessageAnswer): Record<string, unknown> {
  const content: Array<Record<string, unknown>> = []
  if (answer.text) content.push({ type: 'text', text: answer.text })
  for (const call of answer.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: input(call.arguments) })
  const message: Record<string, unknown> = { id: answer.id, type: 'message', role: 'assistant', model: answer.model, content, stop_reason: answer.stopReason, stop_sequence: null }
  if (answer.usage) message.usage = answer.usage
  return message
}

/**
 * The SSE events of a streamed message, in Anthropic's order, each named (`event: …`):
 * `message_start` (input usage, `output_tokens: 1`), `ping`, per block `content_block_start` /
 * `content_block_delta` (`text_delta`, `input_json_delta`) / `content_block_stop`, `message_delta`
 * (stop reason and cumulative usage) and `message_stop`.
 */
export function messageEvents(answer: MessageAnswer, chunkSize: number): string[] {
  const size = Math.max(1, Math.floor(chunkSize))
  const event = (type: string, payload: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`
  const startUsage = answer.usage ? { ...answer.usage, output_tokens: 1 } : undefined
  const events = [
    event('message_start', { message: { id: answer.id, type: 'message', role: 'assistant', model: answer.model, content: [], stop_reason: null, stop_sequence: null, ...(startUsage && { usage: startUsage }) } }),
    event('ping', {}),
  ]
  let index = 0
  if (answer.text) {
    events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }))
    for (const piece of split(answer.text, size)) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }))
    events.push(event('content_block_stop', { index }))
    index++
  }
  for (const call of answer.toolCalls) {
    events.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } }))
    events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }))
    for (const piece of split(call.arguments, size)) events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }))
    events.push(event('content_block_stop', { index }))
    index++
  }
  const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = answer.usage ?? {}
  const finalUsage = answer.usage ? { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens, ...(answer.usage.output_tokens_details && { output_tokens_details: answer.usage.output_tokens_details }) } : { output_tokens: 0 }
  events.push(event('message_delta', { delta: { stop_reason: answer.stopReason, stop_sequence: null }, usage: finalUsage }))
  events.push(event('message_stop', {}))
  return events
}
