import type { ChatResponse } from '../../contracts/chat-response.js'
import { anthropicStopReasonToCanonical, anthropicUsageToCanonical, canonicalFinishReasonToAnthropic, canonicalUsageToAnthropic } from './mapping.js'
import type { AnthropicContentBlock, AnthropicMessage } from './wire-types.js'

type Json = Record<string, unknown>

/**
 * An Anthropic `message` object → canonical {@link ChatResponse}. Thinking blocks become reasoning
 * parts (with their signature), `tool_use` blocks tool calls (input as JSON text). Blocks the
 * canonical form has no place for (server tool use and results, …) and `stop_sequence` land in
 * `providerMetadata.anthropic`.
 *
 * @throws TypeError when the object has no `content` array — an upstream that broke the format.
 */
export function anthropicResponseToCanonical(json: unknown): ChatResponse {
  const message = json as Partial<AnthropicMessage>
  if (!message || !Array.isArray(message.content)) throw new TypeError('Upstream answer is not an Anthropic message: no content array')
  const content: ChatResponse['content'] = []
  const otherBlocks: AnthropicContentBlock[] = []
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: String(block.text ?? '') })
    else if (block.type === 'thinking') content.push({ type: 'reasoning', text: String(block.thinking ?? ''), ...(block.signature && { signature: block.signature }) })
    else if (block.type === 'redacted_thinking') content.push({ type: 'reasoning', text: '', providerOptions: { anthropic: { redactedData: block.data } } })
    else if (block.type === 'tool_use') content.push({ type: 'tool-call', id: String(block.id), name: String(block.name), arguments: JSON.stringify(block.input ?? {}) })
    else otherBlocks.push(block)
  }
  const response: ChatResponse = {
    id: String(message.id ?? ''),
    model: String(message.model ?? ''),
    content,
    finishReason: anthropicStopReasonToCanonical(message.stop_reason),
    usage: message.usage ? anthropicUsageToCanonical(message.usage) : {},
  }
  const metadata: Json = {}
  if (message.stop_sequence) metadata.stop_sequence = message.stop_sequence
  if (otherBlocks.length > 0) metadata.blocks = otherBlocks
  if (Object.keys(metadata).length > 0) response.providerMetadata = { anthropic: metadata }
  return response
}

export interface CanonicalToAnthropicResponseOptions {
  /** The id the client sees; defaults to the upstream's (prefixed `msg_` when it is not one). */
  id?: string
  /** Extra fields merged into `usage` (the gateway's `cost`, for example). */
  usageExtras?: Readonly<Record<string, unknown>>
}

/** Parses tool arguments for a `tool_use.input`; text that is not a JSON object is kept under `_raw`. */
export function toolInput(argumentsText: string): unknown {
  if (argumentsText.trim() === '') return {}
  try {
    return JSON.parse(argumentsText)
  } catch {
    return { _raw: argumentsText }
  }
}

/**
 * Canonical {@link ChatResponse} → the `message` JSON an Anthropic client expects, under the public
 * model name. Reasoning becomes `thinking` blocks (signature `''` when the provider gave none).
 */
export function canonicalToAnthropicResponse(resp: ChatResponse, publicModel: string, options: CanonicalToAnthropicResponseOptions = {}): Json {
  const content: Json[] = resp.content.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text }
    if (part.type === 'reasoning') return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' }
    return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) }
  })
  const stopSequence = resp.providerMetadata?.anthropic?.stop_sequence
  return {
    id: options.id ?? (resp.id.startsWith('msg_') ? resp.id : `msg_${resp.id}`),
    type: 'message',
    role: 'assistant',
    model: publicModel,
    content,
    stop_reason: canonicalFinishReasonToAnthropic(resp.finishReason),
    stop_sequence: typeof stopSequence === 'string' ? stopSequence : null,
    usage: canonicalUsageToAnthropic(resp.usage, options.usageExtras),
  }
}
