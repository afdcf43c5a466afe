import {
  anthropicResponseToCanonical,
  anthropicStreamToParts,
  canonicalToAnthropic,
  upstreamRequest,
  UpstreamError,
  type ChatRequest,
  type ChatResponse,
  type ForwardRequest,
  type ModelInfo,
  type ProviderCallContext,
  type ProviderV1,
  type StreamPart,
  type UpstreamResponse,
  guardedParts,
  MAX_ERROR_BODY,
  throwOnErrorStatus,
} from '@modelmesh/core'
import { classifyAnthropicError } from './classify-error.js'
import { checkBaseURL, descriptorOptions, type AnthropicProviderOptions } from './options.js'

const PACKAGE = '@modelmesh/providers-anthropic'
const DEFAULT_VERSION = '2023-06-01'
// An operation is a relative path chosen by the engine; anything else could aim the call at another URL.
const OPERATION = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/

/** Default capabilities of Anthropic's API (Claude 4.x models). */
export const ANTHROPIC_CAPABILITIES: readonly string[] = Object.freeze([
  'generation.text.chat',
  'generation.text.chat.tools',
  'generation.text.chat.json-schema',
  'generation.text.chat.reasoning',
  'understanding.image',
  'understanding.file',
])

/**
 * The Anthropic Messages API as a ModelMesh provider (`anthropic.messages` dialect, id `anthropic`):
 * `x-api-key` and `anthropic-version` headers, `max_tokens` defaulted for translated requests,
 * usage with cache reads and writes, the full streaming event sequence.
 *
 * @example
 * providers: { anthropic: anthropic({ keys: [secret('ANTHROPIC_KEY_A'), secret('ANTHROPIC_KEY_B')] }) }
 */
export function anthropic(options: AnthropicProviderOptions = {}): ProviderV1 {
  const baseURL = checkBaseURL(options.baseURL ?? 'https://api.anthropic.com/v1', 'anthropic')
  const staticHeaders: Record<string, string> = {
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    'anthropic-version': options.version ?? DEFAULT_VERSION,
  }
  if (options.betas?.length) staticHeaders['anthropic-beta'] = options.betas.join(',')
  const models = options.models

  const send = (method: 'GET' | 'POST', operation: string, body: unknown, ctx: ProviderCallContext, stream: boolean): Promise<UpstreamResponse> => {
    if (!OPERATION.test(operation)) {
      throw new UpstreamError({ message: `Refusing to call operation ${JSON.stringify(operation)}: not a relative API path`, classification: { retryable: false, scope: 'request', reason: 'invalid_operation' } })
    }
    // Object.assign, not a spread: on Node 20's V8 each property added to a spread copy is slow.
    const headers: Record<string, string> = Object.assign({}, staticHeaders)
    headers.accept = stream ? 'text/event-stream' : 'application/json'
    headers['x-request-id'] = ctx.requestId
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (ctx.apiKey) headers['x-api-key'] = ctx.apiKey
    return upstreamRequest({
      url: `${baseURL}/${operation}`,
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      context: ctx,
      ...(ctx.connectTimeoutMs !== undefined && { connectTimeoutMs: ctx.connectTimeoutMs }),
      ...(options.timeoutMs !== undefined && { headersTimeoutMs: options.timeoutMs }),
    })
  }

  const failOnStatus = (response: UpstreamResponse) => throwOnErrorStatus('anthropic', response, classifyAnthropicError)

  const toBody = (request: ChatRequest) => canonicalToAnthropic(request, options.defaultMaxTokens !== undefined ? { defaultMaxTokens: options.defaultMaxTokens } : {})

  return {
    specificationVersion: 'mesh.provider.v1',
    id: 'anthropic',
    dialect: 'anthropic.messages',
    descriptor: { package: PACKAGE, factory: 'anthropic', options: descriptorOptions(options) },
    keys: options.keys ?? [{ $secret: 'ANTHROPIC_API_KEY' }],
    capabilities: options.capabilities ?? ANTHROPIC_CAPABILITIES,
    baseURL,
    ...(models && { models }),

    async doForward(request: ForwardRequest, ctx: ProviderCallContext): Promise<UpstreamResponse> {
      return send('POST', request.operation, request.body, ctx, request.stream)
    },

    async doChat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResponse> {
      const response = await send('POST', 'messages', toBody(request), ctx, false)
      await failOnStatus(response)
      const text = await response.text()
      try {
        return anthropicResponseToCanonical(JSON.parse(text))
      } catch (cause) {
        throw new UpstreamError({
          message: 'anthropic upstream answered 200 with something that is not a message',
          status: response.status,
          body: text.slice(0, MAX_ERROR_BODY),
          classification: { retryable: true, scope: 'provider', reason: 'invalid_upstream_response' },
          cause,
        })
      }
    },

    async doStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamPart>> {
      const response = await send('POST', 'messages', { ...toBody(request), stream: true }, ctx, true)
      await failOnStatus(response)
      return guardedParts(anthropicStreamToParts(response.body), ctx.signal)
    },

    async listModels(ctx: ProviderCallContext): Promise<ModelInfo[]> {
      const response = await send('GET', 'models', undefined, ctx, false)
      await failOnStatus(response)
      const list = (JSON.parse(await response.text()) as { data?: Array<Record<string, unknown>> }).data ?? []
      return list.filter((entry) => typeof entry.id === 'string').map((entry) => ({ ...models?.[entry.id as string], id: entry.id as string }))
    },

    classifyError: classifyAnthropicError,

    pricing(model: string) {
      return models?.[model]?.pricing
    },
  }
}



