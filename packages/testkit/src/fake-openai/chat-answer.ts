import { asRecord, contentText, estimateTokens, planAnswer, randomId, split } from '../fake-shared/answer-plan.js'
import type { Behavior, FakeUsage, RecordedCall } from './types.js'

export { asRecord, estimateTokens, randomId }

/** Everything one chat answer carries, independent of JSON vs SSE framing. */
export interface ChatAnswer {
  id: string
  created: number
  model: string
  systemFingerprint: string
  text: string | null
  toolCalls: Array<{ id: string; name: string; arguments: string }>
  finishReason: string
  /** OpenAI's full usage object, or null when the behavior asked for none. */
  usage: OpenAIUsage | null
}

export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number }
  completion_tokens_details: {
    reasoning_tokens: number
    audio_tokens: number
    accepted_prediction_tokens: number
    rejected_prediction_tokens: number
  }
}

const SYSTEM_FINGERPRINT = 'fp_fake0penai'

/** Works out what to answer for a chat request under a behavior. */
export function planChatAnswer(behavior: Behavior, call: RecordedCall): ChatAnswer {
  const body = asRecord(call.body)
  const plan = planAnswer(behavior, call, { promptText: messagesText(body), lastUserText: lastUserText(body), fallbackText: 'Hello from the fake OpenAI upstream.' })
  const toolCalls = plan.toolCalls.map((toolCall) => ({ ...toolCall, id: toolCall.id ?? randomId('call_') }))
  const text = plan.text
  const usage = plan.usage === null ? null : expandUsage(plan.usage)
  return {
    id: randomId('chatcmpl-', 29),
    created: Math.floor(call.time / 1000),
    model: behavior.model ?? (typeof body.model === 'string' ? body.model : 'gpt-4o-mini'),
    systemFingerprint: SYSTEM_FINGERPRINT,
    text,
    toolCalls,
    finishReason: behavior.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage,
  }
}

export function expandUsage(usage: FakeUsage): OpenAIUsage {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning_tokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

/** A `chat.completion` object, as OpenAI returns it for a non-streaming request. */
export function completionObject(answer: ChatAnswer): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: answer.text,
    refusal: null,
    annotations: [],
  }
  if (answer.toolCalls.length > 0) {
    message.tool_calls = answer.toolCalls.map((toolCall) => ({
      id: toolCall.id,
      type: 'function',
      function: { name: toolCall.name, arguments: toolCall.arguments },
    }))
  }
  const completion: Record<string, unknown> = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
  }
  if (answer.usage) completion.usage = answer.usage
  completion.service_tier = 'default'
  completion.system_fingerprint = answer.systemFingerprint
  return completion
}

/**
 * The `chat.completion.chunk` objects of a stream, in order, as OpenAI sends them: a role chunk,
 * content deltas, tool-call deltas (id/type/name first, then argument fragments), a finish chunk,
 * and — only when `includeUsage` — a usage chunk with `choices: []`; every other chunk then
 * carries `usage: null`.
 */
export function streamChunks(answer: ChatAnswer, options: { includeUsage: boolean; chunkSize: number }): Array<Record<string, unknown>> {
  const size = Math.max(1, Math.floor(options.chunkSize))
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> => {
    const value: Record<string, unknown> = {
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      service_tier: 'default',
      system_fingerprint: answer.systemFingerprint,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    }
    if (options.includeUsage) value.usage = null
    return value
  }

  const chunks = [chunk({ role: 'assistant', content: '', refusal: null })]
  for (const piece of split(answer.text ?? '', size)) chunks.push(chunk({ content: piece }))
  answer.toolCalls.forEach((toolCall, index) => {
    chunks.push(
      chunk({ tool_calls: [{ index, id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: '' } }] }),
    )
    for (const fragment of split(toolCall.arguments, size)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }))
    }
  })
  chunks.push(chunk({}, answer.finishReason))
  if (options.includeUsage && answer.usage) {
    chunks.push({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      service_tier: 'default',
      system_fingerprint: answer.systemFingerprint,
      choices: [],
      usage: answer.usage,
    })
  }
  return chunks
}

function lastUserText(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages : []
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = asRecord(messages[index])
    if (message.role === 'user') {
      const text = contentText(message.content)
      if (text) return text
    }
  }
  return undefined
}

function messagesText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? body.messages : []
  return messages.map((message) => contentText(asRecord(message).content)).join('\n')
}
