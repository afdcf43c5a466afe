import type { CacheControl, ChatMessage, FilePart, ImagePart, ToolResultPart } from '../../contracts/chat-message.js'
import type { ChatRequest } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import { base64ToUtf8 } from '../base64.js'
import { parseDataURL } from '../openai-chat/mapping.js'

type Json = Record<string, unknown>

/** The `max_tokens` sent when the request sets none: Anthropic requires the field. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

export interface CanonicalToAnthropicOptions {
  /** `max_tokens` when the canonical request has no `maxOutputTokens`; default {@link ANTHROPIC_DEFAULT_MAX_TOKENS}. */
  defaultMaxTokens?: number
}

const cache = (control: CacheControl | undefined): Json =>
  control ? { cache_control: control.ttl ? { type: control.type, ttl: control.ttl } : { type: control.type } } : {}

/**
 * A canonical {@link ChatRequest} → an Anthropic Messages body (without `stream`; the caller sets it).
 * System messages become the top-level `system`, tool results become `tool_result` blocks of the
 * next user turn, consecutive turns of one role are merged, and `providerOptions.anthropic` is merged
 * in last, so fields carried over from an Anthropic client win.
 *
 * @throws {@link GatewayError} (400) for content Anthropic cannot take (audio, JSON mode without a schema, …).
 */
export function canonicalToAnthropic(request: ChatRequest, options: CanonicalToAnthropicOptions = {}): Json {
  const system: Json[] = []
  const messages: Array<{ role: 'user' | 'assistant'; content: Json[] }> = []
  const push = (role: 'user' | 'assistant', blocks: Json[]) => {
    if (blocks.length === 0) return
    const last = messages.at(-1)
    if (last?.role === role) last.content.push(...blocks)
    else messages.push({ role, content: blocks })
  }
  for (const message of request.messages) {
    if (message.role === 'system') system.push(...message.content.map((p) => ({ type: 'text', text: p.text, ...cache(p.cacheControl) })))
    else if (message.role === 'assistant') push('assistant', message.content.flatMap(assistantBlock))
    else if (message.role === 'tool') push('user', message.content.map(toolResultBlock))
    else push('user', message.content.map(userBlock))
  }

  const body: Json = { model: request.model, max_tokens: request.maxOutputTokens ?? options.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages }
  if (system.length > 0) body.system = system.some((b) => b.cache_control) ? system : system.map((b) => b.text).join('\n\n')
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      input_schema: tool.parameters,
      ...(tool.strict !== undefined && { strict: tool.strict }),
    }))
  }
  const choice = toolChoice(request)
  if (choice) body.tool_choice = choice
  const outputConfig: Json = {}
  if (request.responseFormat?.type === 'json-schema') outputConfig.format = { type: 'json_schema', schema: request.responseFormat.schema }
  else if (request.responseFormat?.type === 'json') {
    throw GatewayError.invalidRequest('Anthropic models take JSON output only with a schema: use response_format {"type":"json_schema"} instead of "json_object".', 'response_format', 'unsupported_feature')
  }
  if (request.reasoning?.budgetTokens !== undefined) body.thinking = { type: 'enabled', budget_tokens: request.reasoning.budgetTokens }
  else if (request.reasoning?.effort) outputConfig.effort = request.reasoning.effort === 'minimal' ? 'low' : request.reasoning.effort
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig
  if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature)
  if (request.topP !== undefined) body.top_p = request.topP
  if (request.topK !== undefined) body.top_k = request.topK
  if (request.stopSequences?.length) body.stop_sequences = request.stopSequences
  if (request.user !== undefined) body.metadata = { user_id: request.user }
  Object.assign(body, request.providerOptions?.anthropic)
  return body
}

function toolChoice(request: ChatRequest): Json | undefined {
  const choice = request.toolChoice
  let result: Json | undefined
  if (choice?.type === 'tool') result = { type: 'tool', name: choice.name }
  else if (choice?.type === 'required') result = { type: 'any' }
  else if (choice) result = { type: choice.type }
  if (request.parallelToolCalls === false && request.tools?.length && result?.type !== 'none') result = { type: 'auto', ...result, disable_parallel_tool_use: true }
  return result
}

function userBlock(part: Extract<ChatMessage, { role: 'user' }>['content'][number]): Json {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text, ...cache(part.cacheControl) }
    case 'image':
      return imageBlock(part)
    case 'file':
      return documentBlock(part)
    case 'audio':
      throw GatewayError.invalidRequest('Anthropic models do not take audio input; transcribe it first or route this request to a model that does.', 'messages', 'unsupported_feature')
  }
}

function imageBlock(part: ImagePart): Json {
  const own = part.providerOptions?.anthropic?.source
  let source: Json
  if (own) source = own as Json
  else if (part.data !== undefined) source = { type: 'base64', media_type: part.mediaType ?? 'image/png', data: part.data }
  else if (part.url !== undefined) {
    const inline = parseDataURL(part.url)
    source = inline ? { type: 'base64', media_type: inline.mediaType, data: inline.data } : { type: 'url', url: part.url }
  } else throw GatewayError.invalidRequest('An image part needs a url or base64 data.', 'messages')
  return { type: 'image', source, ...cache(part.cacheControl) }
}

function documentBlock(part: FilePart): Json {
  const own = part.providerOptions?.anthropic?.source
  const title = part.filename !== undefined ? { title: part.filename } : {}
  let source: Json
  if (own) source = own as Json
  else if (part.url !== undefined) source = { type: 'url', url: part.url }
  else if (part.data === undefined) throw GatewayError.invalidRequest('A file part needs a url or base64 data.', 'messages')
  else if (part.mediaType === 'application/pdf') source = { type: 'base64', media_type: 'application/pdf', data: part.data }
  else if (part.mediaType.startsWith('text/')) source = { type: 'text', media_type: 'text/plain', data: base64ToUtf8(part.data) }
  else throw GatewayError.invalidRequest(`Anthropic models read PDF and plain-text documents only, not ${part.mediaType}.`, 'messages', 'unsupported_feature')
  return { type: 'document', source, ...title, ...cache(part.cacheControl) }
}

function assistantBlock(part: Extract<ChatMessage, { role: 'assistant' }>['content'][number]): Json[] {
  switch (part.type) {
    case 'text':
      return part.text ? [{ type: 'text', text: part.text, ...cache(part.cacheControl) }] : []
    case 'reasoning': {
      const redacted = part.providerOptions?.anthropic?.redactedData
      if (typeof redacted === 'string') return [{ type: 'redacted_thinking', data: redacted }]
      // Anthropic rejects thinking it did not sign; another provider's reasoning is dropped.
      return part.signature ? [{ type: 'thinking', thinking: part.text, signature: part.signature }] : []
    }
    case 'tool-call':
      return [{ type: 'tool_use', id: part.id, name: part.name, input: parseArguments(part.arguments, part.name), ...cache(part.cacheControl) }]
  }
}

function parseArguments(text: string, name: string): unknown {
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw GatewayError.invalidRequest(`The arguments of the earlier call to tool "${name}" are not valid JSON, which Anthropic requires.`, 'messages', 'invalid_tool_arguments')
  }
}

function toolResultBlock(result: ToolResultPart): Json {
  const content = typeof result.content === 'string' ? result.content : result.content.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : imageBlock(p)))
  return { type: 'tool_result', tool_use_id: result.toolCallId, content, ...(result.isError && { is_error: true }), ...cache(result.cacheControl) }
}
