import type { ChatMessage, ImagePart, TextPart, ToolCallPart, ToolResultPart } from '../../contracts/chat-message.js'
import type { ChatRequest } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import { parseDataURL } from '../openai-chat/mapping.js'
import type { GoogleContent, GooglePart } from './wire-types.js'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A canonical {@link ChatRequest} → a Gemini `generateContent` body (the model goes in the URL, not
 * the body). System messages become `systemInstruction`, assistant turns `model` turns, tool calls
 * `functionCall` parts and tool results `functionResponse` parts (named after the call they answer),
 * tools `functionDeclarations` with `parametersJsonSchema`, and JSON-schema output
 * `responseMimeType` + `responseJsonSchema`. `providerOptions.google` is merged in last; its
 * `generationConfig` is merged into ours.
 *
 * @throws {@link GatewayError} (400) for a tool result whose call is not in the conversation, or
 *   tool-call arguments that are not a JSON object.
 */
export function canonicalToGoogle(request: ChatRequest): Json {
  const system: GooglePart[] = []
  const contents: GoogleContent[] = []
  const toolNames = new Map<string, string>()
  const push = (role: 'user' | 'model', parts: GooglePart[]) => {
    if (parts.length === 0) return
    const last = contents.at(-1)
    if (last?.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
  }
  for (const message of request.messages) {
    if (message.role === 'system') system.push(...message.content.map((p) => ({ text: p.text })))
    else if (message.role === 'user') push('user', message.content.map(userPart))
    else if (message.role === 'assistant') {
      for (const part of message.content) if (part.type === 'tool-call') toolNames.set(part.id, part.name)
      push('model', message.content.flatMap(modelPart))
    } else push('user', message.content.flatMap((result) => toolResultParts(result, toolNames)))
  }

  const body: Json = { contents }
  if (system.length > 0) body.systemInstruction = { parts: system }
  if (request.tools?.length) {
    body.tools = [{
      functionDeclarations: request.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parametersJsonSchema: tool.parameters,
      })),
    }]
  }
  const choice = request.toolChoice
  if (choice) {
    const mode = choice.type === 'auto' ? 'AUTO' : choice.type === 'none' ? 'NONE' : 'ANY'
    body.toolConfig = { functionCallingConfig: { mode, ...(choice.type === 'tool' && { allowedFunctionNames: [choice.name] }) } }
  }

  const config: Json = {}
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens
  if (request.temperature !== undefined) config.temperature = request.temperature
  if (request.topP !== undefined) config.topP = request.topP
  if (request.topK !== undefined) config.topK = request.topK
  if (request.stopSequences?.length) config.stopSequences = request.stopSequences
  if (request.seed !== undefined) config.seed = request.seed
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty
  const format = request.responseFormat
  if (format?.type === 'json') config.responseMimeType = 'application/json'
  else if (format?.type === 'json-schema') Object.assign(config, { responseMimeType: 'application/json', responseJsonSchema: format.schema })
  if (request.reasoning?.budgetTokens !== undefined) config.thinkingConfig = { thinkingBudget: request.reasoning.budgetTokens, includeThoughts: true }
  else if (request.reasoning?.effort) config.thinkingConfig = { thinkingLevel: request.reasoning.effort, includeThoughts: true }

  const own = request.providerOptions?.google ?? {}
  const { generationConfig, ...rest } = own
  if (isObject(generationConfig)) Object.assign(config, generationConfig)
  if (Object.keys(config).length > 0) body.generationConfig = config
  Object.assign(body, rest)
  return body
}

function inline(mediaType: string, data: string): GooglePart {
  return { inlineData: { mimeType: mediaType, data } }
}

function fromURL(url: string, mediaType: string | undefined): GooglePart {
  const data = parseDataURL(url)
  if (data) return inline(data.mediaType, data.data)
  return { fileData: { fileUri: url, ...(mediaType && { mimeType: mediaType }) } }
}

function imagePart(part: ImagePart): GooglePart {
  if (part.data !== undefined) return inline(part.mediaType ?? 'image/png', part.data)
  if (part.url !== undefined) return fromURL(part.url, part.mediaType ?? guessImageType(part.url))
  throw GatewayError.invalidRequest('An image part needs a url or base64 data.', 'messages')
}

function guessImageType(url: string): string | undefined {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase()
  const types: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic' }
  return extension ? types[extension] : undefined
}

function userPart(part: Extract<ChatMessage, { role: 'user' }>['content'][number]): GooglePart {
  switch (part.type) {
    case 'text':
      return { text: part.text }
    case 'image':
      return imagePart(part)
    case 'audio':
      return inline(part.mediaType, part.data)
    case 'file':
      if (part.data !== undefined) return inline(part.mediaType, part.data)
      if (part.url !== undefined) return fromURL(part.url, part.mediaType)
      throw GatewayError.invalidRequest('A file part needs a url or base64 data for Google models.', 'messages')
  }
}

function modelPart(part: Extract<ChatMessage, { role: 'assistant' }>['content'][number]): GooglePart[] {
  const signature = part.providerOptions?.google?.thoughtSignature
  const signed = typeof signature === 'string' ? { thoughtSignature: signature } : {}
  switch (part.type) {
    case 'text':
      return part.text ? [{ text: part.text, ...signed }] : []
    case 'reasoning':
      // Only Gemini's own thoughts (which carry a signature) mean anything to Gemini.
      return typeof signature === 'string' ? [{ text: part.text, thought: true, ...signed }] : []
    case 'tool-call':
      return [{ functionCall: { name: part.name, args: argumentsObject(part) }, ...signed }]
  }
}

function argumentsObject(part: ToolCallPart): Record<string, unknown> {
  if (part.arguments.trim() === '') return {}
  try {
    const value = JSON.parse(part.arguments) as unknown
    if (isObject(value)) return value
  } catch {
    // reported below
  }
  throw GatewayError.invalidRequest(`The arguments of the earlier call to tool "${part.name}" are not a JSON object, which Google models require.`, 'messages', 'invalid_tool_arguments')
}

function toolResultParts(result: ToolResultPart, names: ReadonlyMap<string, string>): GooglePart[] {
  const name = names.get(result.toolCallId)
  if (name === undefined) {
    throw GatewayError.invalidRequest(`The tool result for call "${result.toolCallId}" answers no tool call of this conversation; Google models need the call to name the function.`, 'messages', 'unknown_tool_call')
  }
  const text = typeof result.content === 'string' ? result.content : result.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('\n')
  let response: Record<string, unknown>
  try {
    const parsed = JSON.parse(text) as unknown
    response = isObject(parsed) && !result.isError ? parsed : { [result.isError ? 'error' : 'result']: parsed }
  } catch {
    response = { [result.isError ? 'error' : 'result']: text }
  }
  const images = typeof result.content === 'string' ? [] : result.content.filter((p): p is ImagePart => p.type === 'image').map(imagePart)
  return [{ functionResponse: { name, response } }, ...images]
}
