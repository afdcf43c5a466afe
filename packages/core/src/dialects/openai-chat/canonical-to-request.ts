import type { ChatMessage, ImagePart, TextPart, ToolResultPart } from '../../contracts/chat-message.js'
import type { ChatRequest } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import { mediaTypeToAudioFormat, toDataURL } from './mapping.js'

type Json = Record<string, unknown>

export interface CanonicalToOpenAIOptions {
  /**
   * Where the output limit goes. OpenAI deprecated `max_tokens` and its reasoning models reject it, so
   * `max_completion_tokens` is the default; many compatible servers only know `max_tokens`.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens'
  /**
   * `providerOptions` namespaces merged into the body, in order (later wins). Default `['openai']`;
   * a compatible provider adds its own id (e.g. `['openai', 'groq']`).
   */
  providerOptionsKeys?: readonly string[]
}

/**
 * A canonical {@link ChatRequest} → an OpenAI Chat Completions body (without `stream`; the caller sets
 * it). `providerOptions.openai` is merged in last, so fields carried over from an OpenAI client win.
 *
 * @throws {@link GatewayError} (400) for content OpenAI cannot take, such as a document given by URL.
 */
export function canonicalToOpenAI(request: ChatRequest, options: CanonicalToOpenAIOptions = {}): Json {
  const body: Json = { model: request.model, messages: request.messages.flatMap(messageToOpenAI) }
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.parameters,
        ...(tool.strict !== undefined && { strict: tool.strict }),
      },
    }))
  }
  if (request.toolChoice) {
    body.tool_choice = request.toolChoice.type === 'tool' ? { type: 'function', function: { name: request.toolChoice.name } } : request.toolChoice.type
  }
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls
  if (request.responseFormat) {
    const format = request.responseFormat
    body.response_format =
      format.type === 'json-schema'
        ? { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) } }
        : { type: format.type === 'json' ? 'json_object' : 'text' }
  }
  if (request.maxOutputTokens !== undefined) body[options.maxTokensField ?? 'max_completion_tokens'] = request.maxOutputTokens
  if (request.temperature !== undefined) body.temperature = request.temperature
  if (request.topP !== undefined) body.top_p = request.topP
  if (request.stopSequences?.length) body.stop = request.stopSequences
  if (request.seed !== undefined) body.seed = request.seed
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty
  if (request.reasoning?.effort) body.reasoning_effort = request.reasoning.effort
  if (request.user !== undefined) body.user = request.user
  // topK and reasoning.budgetTokens have no OpenAI equivalent; callers who need `top_k` on a compatible
  // server pass it through providerOptions.
  for (const key of options.providerOptionsKeys ?? ['openai']) Object.assign(body, request.providerOptions?.[key])
  return body
}

function messageToOpenAI(message: ChatMessage): Json[] {
  switch (message.role) {
    case 'system':
      // One string rather than a parts array: several compatible servers reject arrays for system.
      return [{ role: 'system', content: message.content.map((p) => p.text).join('\n\n') }]
    case 'user': {
      const parts = message.content
      const content = parts.length === 1 && parts[0]?.type === 'text' ? parts[0].text : parts.map(userPartToOpenAI)
      return [{ role: 'user', content, ...(message.name !== undefined && { name: message.name }) }]
    }
    case 'assistant':
      return [assistantToOpenAI(message)]
    case 'tool':
      return toolResultsToOpenAI(message.content)
  }
}

function userPartToOpenAI(part: Extract<ChatMessage, { role: 'user' }>['content'][number]): Json {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text }
    case 'image':
      return imageToOpenAI(part)
    case 'audio':
      return { type: 'input_audio', input_audio: { data: part.data, format: mediaTypeToAudioFormat(part.mediaType) } }
    case 'file': {
      const fileId = part.providerOptions?.openai?.fileId
      const file: Json = {}
      if (part.data !== undefined) file.file_data = toDataURL(part.mediaType, part.data)
      else if (typeof fileId === 'string') file.file_id = fileId
      else throw GatewayError.invalidRequest('OpenAI-compatible upstreams cannot read a file by URL; send the file inline as base64 data.', 'messages')
      if (part.filename !== undefined) file.filename = part.filename
      return { type: 'file', file }
    }
  }
}

function imageToOpenAI(part: ImagePart): Json {
  let url = part.url
  if (url === undefined) {
    if (part.data === undefined) throw GatewayError.invalidRequest('An image part needs a url or base64 data.', 'messages')
    url = toDataURL(part.mediaType ?? 'image/png', part.data)
  }
  return { type: 'image_url', image_url: { url, ...(part.detail !== undefined && { detail: part.detail }) } }
}

function assistantToOpenAI(message: Extract<ChatMessage, { role: 'assistant' }>): Json {
  // Reasoning parts are dropped: OpenAI does not take them back, and some compatible servers reject them.
  const text = message.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('')
  const calls = message.content.filter((p) => p.type === 'tool-call')
  const result: Json = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text }
  if (calls.length > 0) {
    result.tool_calls = calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }))
  }
  if (message.name !== undefined) result.name = message.name
  return result
}

function toolResultsToOpenAI(results: readonly ToolResultPart[]): Json[] {
  const messages: Json[] = []
  const images: Json[] = []
  for (const result of results) {
    let content: string
    if (typeof result.content === 'string') content = result.content
    else {
      content = result.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('\n')
      for (const part of result.content) if (part.type === 'image') images.push(imageToOpenAI(part))
    }
    messages.push({ role: 'tool', tool_call_id: result.toolCallId, content })
  }
  // OpenAI tool messages carry text only; images a tool returned follow as a user message so the model still sees them.
  if (images.length > 0) messages.push({ role: 'user', content: images })
  return messages
}
