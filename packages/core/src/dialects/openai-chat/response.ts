import type { ChatResponse } from '../../contracts/chat-response.js'
import type { ProviderMetadata } from '../../contracts/provider-options.js'
import { canonicalFinishReasonToOpenAI, canonicalUsageToOpenAI, openAIFinishReasonToCanonical, openAIUsageToCanonical } from './mapping.js'
import type { OpenAIChatCompletion, OpenAIResponseMessage, OpenAIToolCall } from './wire-types.js'

type Json = Record<string, unknown>

/**
 * An OpenAI `chat.completion` object → canonical {@link ChatResponse}. Only the first choice is read
 * (the canonical form has one answer). OpenAI-only data (`system_fingerprint`, `refusal`,
 * `service_tier`, `logprobs`) lands in `providerMetadata.openai`.
 *
 * @throws TypeError when the object has no choices — an upstream that broke the format.
 */
export function openAIResponseToCanonical(json: unknown): ChatResponse {
  const completion = json as Partial<OpenAIChatCompletion>
  const choice = completion.choices?.[0]
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new TypeError('Upstream answer is not an OpenAI chat.completion: no choices[0].message')
  }
  const message: OpenAIResponseMessage = choice.message
  const content: ChatResponse['content'] = []
  const reasoning = message.reasoning_content ?? message.reasoning
  if (typeof reasoning === 'string' && reasoning) content.push({ type: 'reasoning', text: reasoning })
  if (typeof message.content === 'string' && message.content) content.push({ type: 'text', text: message.content })
  for (const call of message.tool_calls ?? []) {
    if (call?.function) content.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' })
  }
  if (message.function_call) {
    const fn = message.function_call
    content.push({ type: 'tool-call', id: fn.name, name: fn.name, arguments: fn.arguments ?? '' })
  }

  const response: ChatResponse = {
    id: String(completion.id ?? ''),
    model: String(completion.model ?? ''),
    content,
    finishReason: openAIFinishReasonToCanonical(choice.finish_reason),
    usage: completion.usage ? openAIUsageToCanonical(completion.usage) : {},
  }
  if (typeof completion.created === 'number') response.created = completion.created
  const metadata = pickDefined({
    system_fingerprint: completion.system_fingerprint,
    service_tier: completion.service_tier,
    refusal: message.refusal,
    logprobs: choice.logprobs,
  })
  if (metadata) response.providerMetadata = { openai: metadata }
  return response
}

export interface CanonicalToOpenAIResponseOptions {
  /** The id the client sees; defaults to the upstream's. */
  id?: string
  /** Unix seconds; defaults to the upstream's, else now. */
  created?: number
  /** Extra fields merged into `usage` (the gateway's `cost`, for example). */
  usageExtras?: Readonly<Record<string, unknown>>
}

/**
 * Canonical {@link ChatResponse} → the `chat.completion` JSON an OpenAI client expects, under the
 * public model name. Reasoning text is returned as `message.reasoning_content`, the field
 * reasoning-aware OpenAI clients already read.
 */
export function canonicalToOpenAIResponse(resp: ChatResponse, publicModel: string, options: CanonicalToOpenAIResponseOptions = {}): Json {
  let text = ''
  let reasoning = ''
  const toolCalls: OpenAIToolCall[] = []
  for (const part of resp.content) {
    if (part.type === 'text') text += part.text
    else if (part.type === 'reasoning') reasoning += part.text
    else toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } })
  }
  const message: Json = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text }
  if (reasoning) message.reasoning_content = reasoning
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  message.refusal = openAIMetadata(resp.providerMetadata, 'refusal') ?? null

  const body: Json = {
    id: options.id ?? resp.id,
    object: 'chat.completion',
    created: options.created ?? resp.created ?? Math.floor(Date.now() / 1000),
    model: publicModel,
    choices: [{ index: 0, message, logprobs: openAIMetadata(resp.providerMetadata, 'logprobs') ?? null, finish_reason: canonicalFinishReasonToOpenAI(resp.finishReason) }],
    usage: canonicalUsageToOpenAI(resp.usage, options.usageExtras),
  }
  const fingerprint = openAIMetadata(resp.providerMetadata, 'system_fingerprint')
  if (fingerprint !== undefined) body.system_fingerprint = fingerprint
  return body
}

function openAIMetadata(metadata: ProviderMetadata | undefined, key: string): unknown {
  return metadata?.openai?.[key] ?? undefined
}

function pickDefined(fields: Json): Json | undefined {
  const kept = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null))
  return Object.keys(kept).length > 0 ? kept : undefined
}
