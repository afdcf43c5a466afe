import {
  canonicalToOpenAI,
  openAIResponseToCanonical,
  openAIStreamToParts,
  upstreamRequest,
  UpstreamError,
  type ChatRequest,
  type ChatResponse,
  type ErrorClassification,
  type ForwardRequest,
  type ModelInfo,
  type ProviderCallContext,
  type ProviderV1,
  type SecretRef,
  type StreamPart,
  type UpstreamResponse,
  guardedParts,
  MAX_ERROR_BODY,
  throwOnErrorStatus,
} from '@modelmesh/core'
import { classifyOpenAIError } from './classify-error.js'

const PACKAGE = '@modelmesh/providers-openai'
// An operation is a relative path chosen by the engine; anything else could aim the call at another URL.
const OPERATION = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/

/** Everything that differs between OpenAI, Azure and the compatible servers: data plus two URL/auth hooks. */
export interface OpenAICompatibleSettings {
  readonly id: string
  /** Exported factory that recreates this instance from `options` (for the descriptor). */
  readonly factory: string
  /** The options the factory was called with, JSON-serialisable, secrets as references. */
  readonly options: Readonly<Record<string, unknown>>
  readonly baseURL: string
  readonly keys: ReadonlyArray<SecretRef | string>
  readonly capabilities: readonly string[]
  readonly models?: Readonly<Record<string, ModelInfo>>
  /** Static headers sent on every call (organization, project, user headers). */
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** `bearer`: `Authorization: Bearer <key>`; `api-key`: Azure's `api-key: <key>`. */
  readonly auth: 'bearer' | 'api-key'
  readonly maxTokensField: 'max_tokens' | 'max_completion_tokens'
  /** Whether canonical streams ask for `stream_options.include_usage`. */
  readonly streamUsage: boolean
  /** Full URL of an operation for a model; default `${baseURL}/${operation}`. */
  readonly operationURL?: (operation: string, model: string | undefined) => string
  /** Catalogue without a network call (Azure lists deployments, not models). */
  readonly staticModelList?: boolean
}

/**
 * The one implementation behind `openai`, `azureOpenAI`, the presets and `openaiCompatible`:
 * a {@link ProviderV1} speaking `openai.chat` over the core's pooled upstream client.
 */
export function createOpenAICompatibleProvider(settings: OpenAICompatibleSettings): ProviderV1 {
  const baseURL = settings.baseURL.replace(/\/+$/, '')
  const staticHeaders = lowerCaseKeys(settings.headers ?? {})
  const urlFor = (operation: string, model: string | undefined): string => {
    if (!OPERATION.test(operation)) {
      throw new UpstreamError({ message: `Refusing to call operation ${JSON.stringify(operation)}: not a relative API path`, classification: { retryable: false, scope: 'request', reason: 'invalid_operation' } })
    }
    return settings.operationURL ? settings.operationURL(operation, model) : `${baseURL}/${operation}`
  }

  const headersFor = (ctx: ProviderCallContext, accept: string, hasBody: boolean): Record<string, string> => {
    // Object.assign, not a spread: on Node 20's V8 each property added to a spread copy is slow.
    const headers: Record<string, string> = Object.assign({}, staticHeaders)
    headers.accept = accept
    headers['x-request-id'] = ctx.requestId
    if (hasBody) headers['content-type'] = 'application/json'
    if (ctx.apiKey) {
      if (settings.auth === 'api-key') headers['api-key'] = ctx.apiKey
      else headers.authorization = `Bearer ${ctx.apiKey}`
    }
    return headers
  }

  const send = (method: 'GET' | 'POST', url: string, body: unknown, ctx: ProviderCallContext, stream: boolean): Promise<UpstreamResponse> =>
    upstreamRequest({
      url,
      method,
      headers: headersFor(ctx, stream ? 'text/event-stream' : 'application/json', body !== undefined),
      ...(body !== undefined && { body: JSON.stringify(body) }),
      context: ctx,
      ...(ctx.connectTimeoutMs !== undefined && { connectTimeoutMs: ctx.connectTimeoutMs }),
      ...(settings.timeoutMs !== undefined && { headersTimeoutMs: settings.timeoutMs }),
    })

  const classifyError = (failure: Parameters<ProviderV1['classifyError']>[0]): ErrorClassification => classifyOpenAIError(failure)

  const failOnStatus = (response: UpstreamResponse) => throwOnErrorStatus(settings.id, response, classifyError)

  const toRequestBody = (request: ChatRequest) =>
    canonicalToOpenAI(request, { maxTokensField: settings.maxTokensField, providerOptionsKeys: settings.id === 'openai' ? ['openai'] : ['openai', settings.id] })

  return {
    specificationVersion: 'mesh.provider.v1',
    id: settings.id,
    dialect: 'openai.chat',
    descriptor: { package: PACKAGE, factory: settings.factory, options: settings.options },
    keys: settings.keys,
    capabilities: settings.capabilities,
    baseURL,
    ...(settings.models && { models: settings.models }),

    async doForward(request: ForwardRequest, ctx: ProviderCallContext): Promise<UpstreamResponse> {
      const model = typeof request.body.model === 'string' ? request.body.model : undefined
      return send('POST', urlFor(request.operation, model), request.body, ctx, request.stream)
    },

    async doChat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResponse> {
      const response = await send('POST', urlFor('chat/completions', request.model), toRequestBody(request), ctx, false)
      await failOnStatus(response)
      const text = await response.text()
      try {
        return openAIResponseToCanonical(JSON.parse(text))
      } catch (cause) {
        throw new UpstreamError({
          message: `${settings.id} upstream answered 200 with something that is not a chat completion`,
          status: response.status,
          body: text.slice(0, MAX_ERROR_BODY),
          classification: { retryable: true, scope: 'provider', reason: 'invalid_upstream_response' },
          cause,
        })
      }
    },

    async doStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamPart>> {
      const body: Record<string, unknown> = { ...toRequestBody(request), stream: true }
      if (settings.streamUsage) body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true }
      const response = await send('POST', urlFor('chat/completions', request.model), body, ctx, true)
      await failOnStatus(response)
      return guardedParts(openAIStreamToParts(response.body), ctx.signal)
    },

    async listModels(ctx: ProviderCallContext): Promise<ModelInfo[]> {
      if (settings.staticModelList) return Object.entries(settings.models ?? {}).map(([id, info]) => ({ ...info, id }))
      const response = await send('GET', urlFor('models', undefined), undefined, ctx, false)
      await failOnStatus(response)
      const list = (JSON.parse(await response.text()) as { data?: Array<Record<string, unknown>> }).data ?? []
      return list
        .filter((entry) => typeof entry.id === 'string')
        .map((entry) => {
          const id = entry.id as string
          const known = settings.models?.[id]
          // OpenRouter and some servers report the context window; OpenAI itself does not.
          const contextWindow = typeof entry.context_length === 'number' && entry.context_length >= 1 ? { contextWindow: Math.floor(entry.context_length) } : {}
          return { ...contextWindow, ...known, id }
        })
    },

    classifyError,

    pricing(model: string) {
      return settings.models?.[model]?.pricing
    },
  }
}




function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}
