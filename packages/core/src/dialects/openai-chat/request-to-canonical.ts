import type { CacheControl, ChatMessage, FilePart, ImagePart, TextPart, ToolResultPart } from '../../contracts/chat-message.js'
import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import { audioFormatToMediaType, parseDataURL } from './mapping.js'

type Json = Record<string, unknown>
type UserPart = Extract<ChatMessage, { role: 'user' }>['content'][number]
type AssistantPart = Extract<ChatMessage, { role: 'assistant' }>['content'][number]

/** Top-level fields this module maps into the canonical form, or that the gateway itself consumes. */
const CONSUMED_FIELDS = new Set([
  'model', 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'max_tokens',
  'max_completion_tokens', 'temperature', 'top_p', 'stop', 'seed', 'presence_penalty', 'frequency_penalty',
  'reasoning_effort', 'user', 'stream', 'stream_options',
  // Gateway extensions: routing instructions, never sent upstream.
  'models', 'route',
])

const REASONING_EFFORTS = new Set(['minimal', 'low', 'medium', 'high'])

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const present = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined

/**
 * An OpenAI Chat Completions body (already validated against {@link openAIChatRequestSchema}) →
 * the canonical {@link ChatRequest} for `upstreamModel`. Fields with no canonical meaning
 * (`logprobs`, `n`, `metadata`, `top_k`, unknown ones…) are kept verbatim in `providerOptions.openai`,
 * so an OpenAI-speaking upstream still receives them.
 */
export function openAIToCanonical(body: Readonly<Json>, upstreamModel: string): ChatRequest {
  const request: ChatRequest = {
    specificationVersion: 'mesh.chat.v1',
    model: upstreamModel,
    messages: (body.messages as Json[]).map(messageToCanonical),
  }
  const passthrough: Json = {}

  if (Array.isArray(body.tools)) {
    const tools = body.tools as Json[]
    request.tools = tools.filter((t) => t.type === 'function').map(toolToCanonical)
    // Tool kinds the canonical form cannot express: keep the original list for OpenAI-speaking upstreams.
    if (request.tools.length !== tools.length) passthrough.tools = body.tools
  }
  if (present(body.tool_choice)) {
    const choice = toolChoiceToCanonical(body.tool_choice)
    if (choice) request.toolChoice = choice
    else passthrough.tool_choice = body.tool_choice
  }
  if (typeof body.parallel_tool_calls === 'boolean') request.parallelToolCalls = body.parallel_tool_calls
  if (isObject(body.response_format)) request.responseFormat = responseFormatToCanonical(body.response_format)
  const maxTokens = body.max_completion_tokens ?? body.max_tokens
  if (typeof maxTokens === 'number') request.maxOutputTokens = maxTokens
  if (typeof body.temperature === 'number') request.temperature = body.temperature
  if (typeof body.top_p === 'number') request.topP = body.top_p
  if (typeof body.stop === 'string') request.stopSequences = [body.stop]
  else if (Array.isArray(body.stop)) request.stopSequences = body.stop as string[]
  if (typeof body.seed === 'number') request.seed = body.seed
  if (typeof body.presence_penalty === 'number') request.presencePenalty = body.presence_penalty
  if (typeof body.frequency_penalty === 'number') request.frequencyPenalty = body.frequency_penalty
  if (typeof body.user === 'string') request.user = body.user
  if (typeof body.reasoning_effort === 'string') {
    if (REASONING_EFFORTS.has(body.reasoning_effort)) request.reasoning = { effort: body.reasoning_effort as 'low' }
    else passthrough.reasoning_effort = body.reasoning_effort
  }

  for (const [field, value] of Object.entries(body)) {
    if (!CONSUMED_FIELDS.has(field) && value !== undefined) passthrough[field] = value
  }
  if (Object.keys(passthrough).length > 0) request.providerOptions = { openai: passthrough }
  return request
}

function messageToCanonical(message: Json): ChatMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textParts(message.content) }
    case 'user': {
      const content = typeof message.content === 'string' ? [text(message.content)] : (message.content as Json[]).map(userPartToCanonical)
      return withName({ role: 'user', content }, message)
    }
    case 'assistant':
      return withName({ role: 'assistant', content: assistantContent(message) }, message)
    case 'tool':
      return { role: 'tool', content: [toolResult(String(message.tool_call_id), message.content)] }
    case 'function':
      // Legacy function calling: the function name is the only link between call and result.
      return { role: 'tool', content: [toolResult(String(message.name), message.content ?? '')] }
    default:
      throw GatewayError.invalidRequest(`Unsupported message role ${JSON.stringify(message.role)}; use system, developer, user, assistant or tool.`, 'messages')
  }
}

function withName<T extends ChatMessage>(message: T, source: Json): T {
  return typeof source.name === 'string' ? { ...message, name: source.name } : message
}

function text(value: string, source?: Json): TextPart {
  return withCache<TextPart>({ type: 'text', text: value }, source)
}

function withCache<T extends { cacheControl?: CacheControl }>(part: T, source: Json | undefined): T {
  const control = source?.cache_control
  if (isObject(control) && control.type === 'ephemeral') {
    part.cacheControl = typeof control.ttl === 'string' ? { type: 'ephemeral', ttl: control.ttl } : { type: 'ephemeral' }
  }
  return part
}

function textParts(content: unknown): TextPart[] {
  if (typeof content === 'string') return [text(content)]
  if (!Array.isArray(content)) return []
  return (content as Json[]).map((part) => text(String(part.text ?? part.refusal ?? ''), part))
}

function userPartToCanonical(part: Json): UserPart {
  switch (part.type) {
    case 'text':
      return text(String(part.text), part)
    case 'image_url': {
      const image = part.image_url as { url: string; detail?: string }
      const inline = parseDataURL(image.url)
      const result: ImagePart = inline ? { type: 'image', data: inline.data, mediaType: inline.mediaType } : { type: 'image', url: image.url }
      if (image.detail) result.detail = image.detail
      return withCache(result, part)
    }
    case 'input_audio': {
      const audio = part.input_audio as { data: string; format: string }
      return { type: 'audio', data: audio.data, mediaType: audioFormatToMediaType(audio.format) }
    }
    case 'file':
      return withCache(fileToCanonical(part.file as Json), part)
    default:
      throw GatewayError.invalidRequest(`Unsupported content part type ${JSON.stringify(part.type)}; use text, image_url, input_audio or file.`, 'messages')
  }
}

function fileToCanonical(file: Json): FilePart {
  const filename = typeof file.filename === 'string' ? file.filename : undefined
  const named = <T extends FilePart>(part: T): T => (filename ? { ...part, filename } : part)
  if (typeof file.file_data === 'string') {
    const inline = parseDataURL(file.file_data)
    if (inline) return named({ type: 'file', data: inline.data, mediaType: inline.mediaType })
    // Some clients send bare base64; the file name is then the only hint of its type.
    return named({ type: 'file', data: file.file_data, mediaType: mediaTypeFromFilename(filename) })
  }
  // An uploaded OpenAI file: meaningful to OpenAI only, so it travels as an OpenAI option.
  return named({ type: 'file', mediaType: mediaTypeFromFilename(filename), providerOptions: { openai: { fileId: file.file_id } } })
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', html: 'text/html',
}

function mediaTypeFromFilename(filename: string | undefined): string {
  const extension = filename?.split('.').pop()?.toLowerCase()
  return (extension && MEDIA_TYPES[extension]) || 'application/octet-stream'
}

function assistantContent(message: Json): AssistantPart[] {
  const parts: AssistantPart[] = []
  const reasoning = message.reasoning_content ?? message.reasoning
  if (typeof reasoning === 'string' && reasoning) parts.push({ type: 'reasoning', text: reasoning })
  if (typeof message.content === 'string') {
    if (message.content) parts.push(text(message.content))
  } else parts.push(...textParts(message.content))
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls as Json[]) {
      const fn = call.function as { name: string; arguments: string }
      parts.push({ type: 'tool-call', id: String(call.id), name: fn.name, arguments: fn.arguments })
    }
  }
  if (isObject(message.function_call)) {
    const fn = message.function_call as { name: string; arguments: string }
    parts.push({ type: 'tool-call', id: fn.name, name: fn.name, arguments: fn.arguments })
  }
  return parts
}

function toolResult(toolCallId: string, content: unknown): ToolResultPart {
  return { type: 'tool-result', toolCallId, content: typeof content === 'string' ? content : textParts(content) }
}

function toolToCanonical(tool: Json): ToolDefinition {
  const fn = tool.function as Json
  const result: ToolDefinition = {
    type: 'function',
    name: String(fn.name),
    // OpenAI allows omitting parameters for argument-less functions; canonical tools always carry a schema.
    parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
  }
  if (typeof fn.description === 'string') result.description = fn.description
  if (typeof fn.strict === 'boolean') result.strict = fn.strict
  return result
}

function toolChoiceToCanonical(choice: unknown): ToolChoice | undefined {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice }
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function)) return { type: 'tool', name: String(choice.function.name) }
  return undefined
}

function responseFormatToCanonical(format: Json): ResponseFormat {
  if (format.type === 'json_object') return { type: 'json' }
  if (format.type === 'json_schema' && isObject(format.json_schema)) {
    const spec = format.json_schema
    const result: ResponseFormat = { type: 'json-schema', name: String(spec.name), schema: isObject(spec.schema) ? spec.schema : {} }
    if (typeof spec.strict === 'boolean') result.strict = spec.strict
    return result
  }
  return { type: 'text' }
}
