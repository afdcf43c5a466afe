import {
  canonicalToGoogle,
  googleResponseToCanonical,
  googleStreamToParts,
  upstreamRequest,
  UpstreamError,
  type ChatRequest,
  type ChatResponse,
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
import { classifyGoogleError } from './classify-error.js'

const PACKAGE = '@modelmesh/providers-google'
const OPERATION = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/
const MODEL = /^[A-Za-z0-9._-]+$/
const MODEL_METHODS = new Set(['generateContent', 'streamGenerateContent', 'countTokens'])

/** What differs between the Gemini API and Vertex AI: the base URL, the credential header, the catalogue. */
export interface GenerateProviderSettings {
  readonly id: string
  readonly factory: string
  readonly options: Readonly<Record<string, unknown>>
  /** Up to the models collection: `…/v1beta` or `…/publishers/google`. */
  readonly baseURL: string
  readonly keys: ReadonlyArray<SecretRef | string>
  readonly capabilities: readonly string[]
  readonly models?: Readonly<Record<string, ModelInfo>>
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** The credential headers of a call, from its `ctx.apiKey`. */
  authHeaders(ctx: ProviderCallContext): Promise<Record<string, string>>
  /** Catalogue without a network call (Vertex lists publisher models, not what a project may use). */
  readonly staticModelList?: boolean
}

/** The URL of a model method: `…/models/{model}:{method}`, streams with `?alt=sse`. */
export function methodURL(baseURL: string, model: string, method: string): string {
  if (!MODEL.test(model)) {
    throw new UpstreamError({ message: `Refusing to call model ${JSON.stringify(model)}: not a model id`, classification: { retryable: false, scope: 'request', reason: 'invalid_model' } })
  }
  return `${baseURL}/models/${model}:${method}${method === 'streamGenerateContent' ? '?alt=sse' : ''}`
}

/** The one implementation behind `google` and `vertex`: a {@link ProviderV1} speaking `google.generate`. */
export function createGenerateProvider(settings: GenerateProviderSettings): ProviderV1 {
  const baseURL = settings.baseURL.replace(/\/+$/, '')
  const staticHeaders = Object.fromEntries(Object.entries(settings.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]))

  const send = async (method: 'GET' | 'POST', url: string, body: unknown, ctx: ProviderCallContext, stream: boolean): Promise<UpstreamResponse> => {
    // Object.assign, not a spread: on Node 20's V8 each property added to a spread copy is slow.
    const headers: Record<string, string> = Object.assign({}, staticHeaders, { accept: stream ? 'text/event-stream' : 'application/json', 'x-request-id': ctx.requestId }, await settings.authHeaders(ctx))
    if (body !== undefined) headers['content-type'] = 'application/json'
    return upstreamRequest({
      url,
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      context: ctx,
      ...(ctx.connectTimeoutMs !== undefined && { connectTimeoutMs: ctx.connectTimeoutMs }),
      ...(settings.timeoutMs !== undefined && { headersTimeoutMs: settings.timeoutMs }),
    })
  }

  const failOnStatus = (response: UpstreamResponse) => throwOnErrorStatus(settings.id, response, classifyGoogleError)

  return {
    specificationVersion: 'mesh.provider.v1',
    id: settings.id,
    dialect: 'google.generate',
    descriptor: { package: PACKAGE, factory: settings.factory, options: settings.options },
    keys: settings.keys,
    capabilities: settings.capabilities,
    baseURL,
    ...(settings.models && { models: settings.models }),

    /**
     * Same-dialect forward. Model methods (`generateContent`, `streamGenerateContent`,
     * `countTokens`) take the model from `body.model` (removed from the body, Gemini wants it in
     * the URL); `generateContent` with `stream: true` becomes `streamGenerateContent?alt=sse`.
     */
    async doForward(request: ForwardRequest, ctx: ProviderCallContext): Promise<UpstreamResponse> {
      if (MODEL_METHODS.has(request.operation)) {
        const { model, ...body } = request.body
        const method = request.stream && request.operation === 'generateContent' ? 'streamGenerateContent' : request.operation
        return send('POST', methodURL(baseURL, String(model ?? ''), method), body, ctx, request.stream)
      }
      if (!OPERATION.test(request.operation)) {
        throw new UpstreamError({ message: `Refusing to call operation ${JSON.stringify(request.operation)}: not a relative API path`, classification: { retryable: false, scope: 'request', reason: 'invalid_operation' } })
      }
      return send('POST', `${baseURL}/${request.operation}`, request.body, ctx, request.stream)
    },

    async doChat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResponse> {
      const response = await send('POST', methodURL(baseURL, request.model, 'generateContent'), canonicalToGoogle(request), ctx, false)
      await failOnStatus(response)
      const text = await response.text()
      try {
        return googleResponseToCanonical(JSON.parse(text))
      } catch (cause) {
        throw new UpstreamError({
          message: `${settings.id} upstream answered 200 with something that is not a GenerateContentResponse`,
          status: response.status,
          body: text.slice(0, MAX_ERROR_BODY),
          classification: { retryable: true, scope: 'provider', reason: 'invalid_upstream_response' },
          cause,
        })
      }
    },

    async doStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamPart>> {
      const response = await send('POST', methodURL(baseURL, request.model, 'streamGenerateContent'), canonicalToGoogle(request), ctx, true)
      await failOnStatus(response)
      return guardedParts(googleStreamToParts(response.body), ctx.signal)
    },

    async listModels(ctx: ProviderCallContext): Promise<ModelInfo[]> {
      if (settings.staticModelList) return Object.entries(settings.models ?? {}).map(([id, info]) => ({ ...info, id }))
      const response = await send('GET', `${baseURL}/models`, undefined, ctx, false)
      await failOnStatus(response)
      const list = (JSON.parse(await response.text()) as { models?: Array<Record<string, unknown>> }).models ?? []
      return list
        .filter((entry) => typeof entry.name === 'string')
        .map((entry) => {
          const id = String(entry.name).replace(/^models\//, '')
          const window = typeof entry.inputTokenLimit === 'number' ? { contextWindow: entry.inputTokenLimit } : {}
          const output = typeof entry.outputTokenLimit === 'number' ? { maxOutputTokens: entry.outputTokenLimit } : {}
          return { ...window, ...output, ...settings.models?.[id], id }
        })
    },

    classifyError: classifyGoogleError,

    pricing(model: string) {
      return settings.models?.[model]?.pricing
    },
  }
}



