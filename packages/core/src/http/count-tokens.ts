import type { Context } from 'hono'
import type { ChatRequest } from '../contracts/chat-request.js'
import { anthropicMessagesIngress } from '../dialects/anthropic-messages/ingress.js'
import { anthropicToCanonical } from '../dialects/anthropic-messages/request-to-canonical.js'
import { parseAnthropicMessagesRequest } from '../dialects/anthropic-messages/parse-request.js'
import type { MeshEngine } from '../engine/mesh-engine.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { AppRuntime } from './app.js'
import { newRequestId } from '../ids/time-ordered-id.js'
import { dialectError } from './chat-handler.js'
import { asGatewayError } from './errors.js'

/** Tokens assumed per image and per document when estimating: their size is unknown without decoding them. */
export const ESTIMATED_IMAGE_TOKENS = 1600
export const ESTIMATED_DOCUMENT_TOKENS = 3000
const MESSAGE_OVERHEAD_TOKENS = 4

type CountTokens = (text: string) => number
let tokenizer: Promise<CountTokens> | undefined

/**
 * o200k_base from `gpt-tokenizer` (pure JS, maintained, per-encoding entry points), loaded on first
 * use so the gateway does not pay for its rank table at start-up. It is OpenAI's tokenizer: for other
 * model families the count is an estimate, and is labelled so.
 */
function loadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer/encoding/o200k_base').then((module) => (text: string) => module.countTokens(text))
  return tokenizer
}

/** An estimate of the input tokens of a canonical request (text, tool definitions, fixed cost per image/document). */
export async function estimateRequestTokens(request: ChatRequest): Promise<number> {
  const count = await loadTokenizer()
  let tokens = 0
  const texts: string[] = []
  for (const message of request.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') texts.push(part.text)
      else if (part.type === 'tool-call') texts.push(part.name, part.arguments)
      else if (part.type === 'image') tokens += ESTIMATED_IMAGE_TOKENS
      else if (part.type === 'file' || part.type === 'audio') tokens += ESTIMATED_DOCUMENT_TOKENS
      else if (part.type === 'tool-result') {
        if (typeof part.content === 'string') texts.push(part.content)
        else for (const inner of part.content) if (inner.type === 'text') texts.push(inner.text)
        else tokens += ESTIMATED_IMAGE_TOKENS
      }
    }
  }
  for (const tool of request.tools ?? []) texts.push(JSON.stringify({ name: tool.name, description: tool.description, input_schema: tool.parameters }))
  for (const text of texts) tokens += count(text)
  return tokens
}

/** Forward to the upstream's own `messages/count_tokens` when the model is served by an Anthropic provider. */
async function upstreamCount(engine: MeshEngine, body: Record<string, unknown>, models: readonly string[], requestId: string): Promise<Response | undefined> {
  const first = engine.planner.plan({ models, body }).candidates[0]
  if (!first) return undefined
  const { provider, apiKey } = engine.connection(first.deployment)
  if (provider.dialect !== 'anthropic.messages') return undefined
  const upstreamBody: Record<string, unknown> = { ...body, model: first.deployment.model }
  for (const field of ['models', 'route', 'provider', 'max_tokens', 'stream']) delete upstreamBody[field]
  const response = await provider.doForward(
    { operation: 'messages/count_tokens', body: upstreamBody, stream: false },
    { deployment: first.deployment, apiKey, signal: AbortSignal.timeout(30_000), requestId },
  )
  const text = await response.text()
  return new Response(text, {
    status: response.status,
    headers: { 'content-type': response.headers['content-type'] ?? 'application/json', 'x-mesh-request-id': requestId, 'x-mesh-token-count': 'upstream', 'x-mesh-provider': first.deployment.provider },
  })
}

/**
 * `POST /v1/messages/count_tokens`: the upstream's exact count when the public model routes to an
 * Anthropic provider first, otherwise a gateway estimate with the o200k tokenizer
 * (`x-mesh-token-count: estimated`). The body is a Messages body without `max_tokens`.
 */
export async function handleCountTokens(c: Context, runtime: AppRuntime): Promise<Response> {
  const requestId = newRequestId()
  try {
    const text = await c.req.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      throw GatewayError.invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json')
    }
    // count_tokens takes no max_tokens: validate as a Messages body that has one.
    const withMax = json && typeof json === 'object' && !Array.isArray(json) ? { max_tokens: 1, ...(json as object) } : json
    const parsed = parseAnthropicMessagesRequest(JSON.stringify(withMax))
    const engine = await runtime.engine
    const header = (name: string) => c.req.header(name)
    const admission = await runtime.billing.gate.admit({ requestId, header, models: parsed.models, body: parsed.body, bodyChars: text.length, worstPrice: engine.planner.worstPrice(parsed.models), now: runtime.now() })
    const event = { ingress: 'anthropic.messages' as const, requestedModel: parsed.models[0] ?? '', stream: false, attempts: [], timings: { startedAt: Date.now(), totalMs: 0 } }
    let response: Response | undefined
    try {
      // An upstream that cannot count right now is no reason to fail: the estimate still answers.
      response = await upstreamCount(engine, parsed.body, parsed.models, requestId).catch(() => undefined)
      if (response) return response
      const tokens = await estimateRequestTokens(anthropicToCanonical(parsed.body, parsed.models[0] ?? ''))
      response = c.json({ input_tokens: tokens }, 200, { 'x-mesh-request-id': requestId, 'x-mesh-token-count': 'estimated' })
      return response
    } finally {
      // Counting is free: the hold is released and the request recorded without tokens.
      void admission.finish({ status: response?.status ?? 500, event })
    }
  } catch (error) {
    const gatewayError = asGatewayError(error)
    if (gatewayError.code === 'internal_error') runtime.onError(error, requestId)
    return dialectError(c, anthropicMessagesIngress, gatewayError, requestId)
  }
}
