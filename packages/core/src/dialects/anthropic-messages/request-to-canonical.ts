import type { CacheControl, ChatMessage, FilePart, ImagePart, TextPart, ToolResultPart } from '../../contracts/chat-message.js'
import type { ChatRequest, ToolChoice, ToolDefinition } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import { utf8ToBase64 } from '../base64.js'

type Json = Record<string, unknown>
type UserPart = Extract<ChatMessage, { role: 'user' }>['content'][number]
type AssistantPart = Extract<ChatMessage, { role: 'assistant' }>['content'][number]

/** Top-level fields this module maps into the canonical form, or that the gateway itself consumes. */
const CONSUMED_FIELDS = new Set([
  'model', 'messages', 'system', 'max_tokens', 'tools', 'tool_choice', 'temperature', 'top_p', 'top_k',
  'stop_sequences', 'metadata', 'thinking', 'output_config', 'output_format', 'stream',
  // Gateway extensions: routing instructions, never sent upstream.
  'models', 'route', 'provider',
])

const EFFORTS = new Set(['minimal', 'low', 'medium', 'high'])

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * An Anthropic Messages body (already validated against {@link anthropicMessagesRequestSchema}) →
 * the canonical {@link ChatRequest} for `upstreamModel`. Fields with no canonical meaning
 * (`service_tier`, `container`, `mcp_servers`, server tools, unknown ones…) are kept verbatim in
 * `providerOptions.anthropic`, so an Anthropic upstream still receives them and the engine can warn
 * when another provider cannot.
 *
 * @throws {@link GatewayError} (400) for content only Anthropic understands (server tool results, …).
 */
export function anthropicToCanonical(body: Readonly<Json>, upstreamModel: string): ChatRequest {
  const messages: ChatMessage[] = []
  const system = systemParts(body.system)
  if (system.length > 0) messages.push({ role: 'system', content: system })
  for (const message of body.messages as Json[]) messages.push(...messageToCanonical(message))

  const request: ChatRequest = { specificationVersion: 'mesh.chat.v1', model: upstreamModel, messages }
  const passthrough: Json = {}
  request.maxOutputTokens = body.max_tokens as number

  if (Array.isArray(body.tools)) {
    const tools = body.tools as Json[]
    const custom = tools.filter((t) => t.type === undefined || t.type === 'custom')
    request.tools = custom.map(toolToCanonical)
    // Server tools (web search, code execution, …) only Anthropic runs: kept for Anthropic upstreams.
    if (custom.length !== tools.length) passthrough.tools = body.tools
  }
  if (isObject(body.tool_choice)) {
    const choice = body.tool_choice
    const mapped = toolChoiceToCanonical(choice)
    if (mapped) request.toolChoice = mapped
    if (choice.disable_parallel_tool_use === true) request.parallelToolCalls = false
  }
  if (typeof body.temperature === 'number') request.temperature = body.temperature
  if (typeof body.top_p === 'number') request.topP = body.top_p
  if (typeof body.top_k === 'number') request.topK = body.top_k
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) request.stopSequences = body.stop_sequences as string[]
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string') request.user = body.metadata.user_id

  const thinking = isObject(body.thinking) ? body.thinking : undefined
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number') request.reasoning = { budgetTokens: thinking.budget_tokens }
  else if (thinking && thinking.type !== 'disabled') passthrough.thinking = thinking

  const outputConfig = isObject(body.output_config) ? { ...body.output_config } : {}
  const format = isObject(outputConfig.format) ? outputConfig.format : isObject(body.output_format) ? body.output_format : undefined
  if (format?.type === 'json_schema' && isObject(format.schema)) {
    request.responseFormat = { type: 'json-schema', schema: format.schema }
    delete outputConfig.format
  }
  if (typeof outputConfig.effort === 'string' && EFFORTS.has(outputConfig.effort)) {
    request.reasoning = { ...request.reasoning, effort: outputConfig.effort as 'low' }
    delete outputConfig.effort
  }
  if (Object.keys(outputConfig).length > 0) passthrough.output_config = outputConfig

  for (const [field, value] of Object.entries(body)) {
    if (!CONSUMED_FIELDS.has(field) && value !== undefined) passthrough[field] = value
  }
  if (Object.keys(passthrough).length > 0) request.providerOptions = { anthropic: passthrough }
  return request
}

function withCache<T extends { cacheControl?: CacheControl }>(part: T, source: Json): T {
  const control = source.cache_control
  if (isObject(control) && control.type === 'ephemeral') {
    part.cacheControl = typeof control.ttl === 'string' ? { type: 'ephemeral', ttl: control.ttl } : { type: 'ephemeral' }
  }
  return part
}

const text = (block: Json): TextPart => withCache<TextPart>({ type: 'text', text: String(block.text ?? '') }, block)

function systemParts(system: unknown): TextPart[] {
  if (typeof system === 'string') return system ? [{ type: 'text', text: system }] : []
  if (!Array.isArray(system)) return []
  return (system as Json[]).map(text)
}

const blocksOf = (content: unknown): Json[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : (content as Json[]))

function messageToCanonical(message: Json): ChatMessage[] {
  const blocks = blocksOf(message.content)
  if (message.role === 'system') return [{ role: 'system', content: blocks.map(text) }]
  if (message.role === 'assistant') return [{ role: 'assistant', content: blocks.flatMap(assistantBlock) }]
  // Anthropic puts tool results in the user turn, first; canonically they are a tool message before it.
  const results = blocks.filter((b) => b.type === 'tool_result').map(toolResult)
  const rest = blocks.filter((b) => b.type !== 'tool_result').map(userBlock)
  const out: ChatMessage[] = []
  if (results.length > 0) out.push({ role: 'tool', content: results })
  if (rest.length > 0 || results.length === 0) out.push({ role: 'user', content: rest })
  return out
}

function userBlock(block: Json): UserPart {
  switch (block.type) {
    case 'text':
      return text(block)
    case 'image':
      return withCache(image(block), block)
    case 'document':
      return withCache(documentPart(block), block)
    default:
      throw unsupportedBlock(block.type)
  }
}

function image(block: Json): ImagePart {
  const source = isObject(block.source) ? block.source : {}
  if (source.type === 'base64') return { type: 'image', data: String(source.data), mediaType: String(source.media_type) }
  if (source.type === 'url') return { type: 'image', url: String(source.url) }
  return { type: 'image', providerOptions: { anthropic: { source } } }
}

function documentPart(block: Json): FilePart {
  const source = isObject(block.source) ? block.source : {}
  const named = <T extends FilePart>(part: T): T => (typeof block.title === 'string' ? { ...part, filename: block.title } : part)
  if (source.type === 'base64') return named({ type: 'file', data: String(source.data), mediaType: String(source.media_type) })
  if (source.type === 'url') return named({ type: 'file', url: String(source.url), mediaType: 'application/pdf' })
  if (source.type === 'text') return named({ type: 'file', data: utf8ToBase64(String(source.data)), mediaType: String(source.media_type ?? 'text/plain') })
  // A Files API id or inline content blocks: meaningful to Anthropic only.
  return named({ type: 'file', mediaType: 'application/octet-stream', providerOptions: { anthropic: { source } } })
}

function assistantBlock(block: Json): AssistantPart[] {
  switch (block.type) {
    case 'text':
      return [text(block)]
    case 'tool_use':
      return [{ type: 'tool-call', id: String(block.id), name: String(block.name), arguments: JSON.stringify(block.input ?? {}) }]
    case 'thinking':
      return [{ type: 'reasoning', text: String(block.thinking ?? ''), ...(typeof block.signature === 'string' && block.signature && { signature: block.signature }) }]
    case 'redacted_thinking':
      return [{ type: 'reasoning', text: '', providerOptions: { anthropic: { redactedData: block.data } } }]
    default:
      throw unsupportedBlock(block.type)
  }
}

function toolResult(block: Json): ToolResultPart {
  const content = block.content
  const result: ToolResultPart = {
    type: 'tool-result',
    toolCallId: String(block.tool_use_id),
    content: typeof content === 'string' || content === undefined ? (content ?? '') : (content as Json[]).map((b) => (b.type === 'image' ? image(b) : text(b))),
  }
  if (block.is_error === true) result.isError = true
  return withCache(result, block)
}

function toolToCanonical(tool: Json): ToolDefinition {
  const result: ToolDefinition = {
    type: 'function',
    name: String(tool.name),
    parameters: isObject(tool.input_schema) ? tool.input_schema : { type: 'object', properties: {} },
  }
  if (typeof tool.description === 'string') result.description = tool.description
  if (typeof tool.strict === 'boolean') result.strict = tool.strict
  return result
}

function toolChoiceToCanonical(choice: Json): ToolChoice | undefined {
  if (choice.type === 'auto' || choice.type === 'none') return { type: choice.type }
  if (choice.type === 'any') return { type: 'required' }
  if (choice.type === 'tool' && typeof choice.name === 'string') return { type: 'tool', name: choice.name }
  return undefined
}

function unsupportedBlock(type: unknown): GatewayError {
  return GatewayError.invalidRequest(
    `Content block type ${JSON.stringify(type)} can only be sent to a model served by an Anthropic provider; this model is served by another provider. Use text, image, document, tool_use, tool_result or thinking blocks.`,
    'messages',
    'unsupported_content',
  )
}
