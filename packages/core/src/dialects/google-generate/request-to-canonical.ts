import type { ChatMessage, TextPart } from '../../contracts/chat-message.js'
import type { ChatRequest, ToolDefinition } from '../../contracts/chat-request.js'
import { GatewayError } from '../../errors/gateway-error.js'
import type { GoogleContent, GooglePart } from './wire-types.js'

type Json = Record<string, unknown>
type UserPart = Extract<ChatMessage, { role: 'user' }>['content'][number]
type AssistantPart = Extract<ChatMessage, { role: 'assistant' }>['content'][number]

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

const CONSUMED_FIELDS = new Set(['model', 'contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig'])
const CONSUMED_CONFIG = new Set([
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig',
])

/**
 * A Gemini `generateContent` body → the canonical {@link ChatRequest} for `upstreamModel`. Function
 * calls get ids `<name>#<n>` (Gemini's own `id` when it sent one) so their responses can refer to
 * them. Unknown fields (`safetySettings`, `cachedContent`, other `generationConfig` fields, …) are
 * kept in `providerOptions.google`.
 */
export function googleToCanonical(body: Readonly<Json>, upstreamModel: string): ChatRequest {
  const messages: ChatMessage[] = []
  const system = isObject(body.systemInstruction) ? (body.systemInstruction as unknown as GoogleContent).parts ?? [] : []
  if (system.length > 0) messages.push({ role: 'system', content: system.map((p) => ({ type: 'text', text: String(p.text ?? '') })) })
  const pending: string[] = []
  let calls = 0
  for (const content of (body.contents ?? []) as GoogleContent[]) {
    const parts = content.parts ?? []
    if (content.role === 'model') {
      const out: AssistantPart[] = []
      for (const part of parts) {
        if (part.functionCall) {
          const id = part.functionCall.id ?? `${part.functionCall.name}#${calls++}`
          pending.push(id)
          out.push({ type: 'tool-call', id, name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) })
        } else if (typeof part.text === 'string') out.push(part.thought ? { type: 'reasoning', text: part.text } : { type: 'text', text: part.text })
      }
      messages.push({ role: 'assistant', content: out })
      continue
    }
    const results = parts.filter((p) => p.functionResponse)
    if (results.length > 0) {
      messages.push({
        role: 'tool',
        content: results.map((p) => {
          const response = p.functionResponse!
          const id = response.id ?? pending.find((candidate) => candidate.startsWith(`${response.name}#`)) ?? response.name
          pending.splice(pending.indexOf(id), 1)
          return { type: 'tool-result', toolCallId: id, content: JSON.stringify(response.response ?? {}) }
        }),
      })
    }
    const rest = parts.filter((p) => !p.functionResponse).map(userPart)
    if (rest.length > 0) messages.push({ role: 'user', content: rest })
  }

  const request: ChatRequest = { specificationVersion: 'mesh.chat.v1', model: upstreamModel, messages }
  const declarations = ((body.tools ?? []) as Json[]).flatMap((tool) => (Array.isArray(tool.functionDeclarations) ? (tool.functionDeclarations as Json[]) : []))
  if (declarations.length > 0) request.tools = declarations.map(toolToCanonical)
  const calling = isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : undefined
  if (calling?.mode === 'AUTO') request.toolChoice = { type: 'auto' }
  else if (calling?.mode === 'NONE') request.toolChoice = { type: 'none' }
  else if (calling?.mode === 'ANY') {
    const names = calling.allowedFunctionNames
    request.toolChoice = Array.isArray(names) && names.length === 1 ? { type: 'tool', name: String(names[0]) } : { type: 'required' }
  }

  const config = isObject(body.generationConfig) ? body.generationConfig : {}
  if (typeof config.maxOutputTokens === 'number') request.maxOutputTokens = config.maxOutputTokens
  if (typeof config.temperature === 'number') request.temperature = config.temperature
  if (typeof config.topP === 'number') request.topP = config.topP
  if (typeof config.topK === 'number') request.topK = config.topK
  if (Array.isArray(config.stopSequences)) request.stopSequences = config.stopSequences as string[]
  if (typeof config.seed === 'number') request.seed = config.seed
  if (typeof config.presencePenalty === 'number') request.presencePenalty = config.presencePenalty
  if (typeof config.frequencyPenalty === 'number') request.frequencyPenalty = config.frequencyPenalty
  const schema = config.responseJsonSchema ?? config.responseSchema
  if (isObject(schema)) request.responseFormat = { type: 'json-schema', schema }
  else if (config.responseMimeType === 'application/json') request.responseFormat = { type: 'json' }
  const thinking = isObject(config.thinkingConfig) ? config.thinkingConfig : undefined
  if (typeof thinking?.thinkingBudget === 'number' && thinking.thinkingBudget >= 0) request.reasoning = { budgetTokens: thinking.thinkingBudget }

  const passthrough: Json = {}
  const otherConfig = Object.fromEntries(Object.entries(config).filter(([key]) => !CONSUMED_CONFIG.has(key)))
  if (Object.keys(otherConfig).length > 0) passthrough.generationConfig = otherConfig
  for (const [field, value] of Object.entries(body)) if (!CONSUMED_FIELDS.has(field) && value !== undefined) passthrough[field] = value
  if (Object.keys(passthrough).length > 0) request.providerOptions = { google: passthrough }
  return request
}

function userPart(part: GooglePart): UserPart {
  if (typeof part.text === 'string') return { type: 'text', text: part.text } satisfies TextPart
  const data = part.inlineData
  if (data) {
    if (data.mimeType.startsWith('image/')) return { type: 'image', data: data.data, mediaType: data.mimeType }
    if (data.mimeType.startsWith('audio/')) return { type: 'audio', data: data.data, mediaType: data.mimeType }
    return { type: 'file', data: data.data, mediaType: data.mimeType }
  }
  const file = part.fileData
  if (file) {
    const mediaType = file.mimeType ?? 'application/octet-stream'
    return mediaType.startsWith('image/') ? { type: 'image', url: file.fileUri, mediaType } : { type: 'file', url: file.fileUri, mediaType }
  }
  throw GatewayError.invalidRequest('Unsupported Gemini part: use text, inlineData, fileData, functionCall or functionResponse.', 'contents')
}

function toolToCanonical(declaration: Json): ToolDefinition {
  const parameters = declaration.parametersJsonSchema ?? declaration.parameters
  return {
    type: 'function',
    name: String(declaration.name),
    ...(typeof declaration.description === 'string' && { description: declaration.description }),
    parameters: isObject(parameters) ? parameters : { type: 'object', properties: {} },
  }
}
