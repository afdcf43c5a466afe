import type { ChatRequest } from './chat-request.js'
import type { ChatResponse } from './chat-response.js'
import type { Dialect } from './dialect.js'
import type { ErrorClassification, UpstreamFailure } from './error-classification.js'
import type { ModelInfo, ModelPricing } from './model-info.js'
import type { PluginDescriptor } from './plugin-descriptor.js'
import type { SecretRef } from './secret-ref.js'
import type { StreamPart } from './stream-part.js'

/** The deployment an attempt goes to: provider × upstream model × credential. */
export interface DeploymentRef {
  /** Stable id, `provider/model#keyIndex`. */
  readonly id: string
  readonly provider: string
  readonly model: string
  readonly keyIndex: number
}

/** Everything a provider needs for one upstream call; built by the engine per attempt. */
export interface ProviderCallContext {
  readonly deployment: DeploymentRef
  /** The resolved credential of this deployment (undefined for keyless upstreams such as Ollama). */
  readonly apiKey: string | undefined
  /** Aborted on client disconnect (non-streaming only), timeouts, or gateway shutdown. */
  readonly signal: AbortSignal
  /** Request id to forward upstream for correlation. */
  readonly requestId: string
  /** The pool's connect timeout; the engine's own timers cover first token, idle and total. */
  readonly connectTimeoutMs?: number
}

/** A raw upstream answer. The body is never buffered unless the caller asks for text/json. */
export interface UpstreamResponse {
  readonly status: number
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: AsyncIterable<Uint8Array>
  text(): Promise<string>
  /** Release the connection without reading the rest. */
  cancel(): Promise<void>
}

/** A same-dialect call: the client's own body, already edited by the engine (model name, usage flag). */
export interface ForwardRequest {
  /** The operation, named by the dialect's path below its base (e.g. `chat/completions`). */
  readonly operation: string
  readonly body: Readonly<Record<string, unknown>>
  readonly stream: boolean
}

/**
 * A provider connector instance. Methods prefixed `do` are called by the engine, which wraps them
 * with routing, retries, timeouts and accounting; users do not call them directly.
 */
export interface ProviderV1 {
  readonly specificationVersion: 'mesh.provider.v1'
  /** Provider type id (`openai`, `groq`, `anthropic`, …), used in `providerOptions` namespaces. */
  readonly id: string
  /** The wire format this provider speaks natively. */
  readonly dialect: Dialect
  /** How to recreate this instance from JSON (for the IR and the compile step). */
  readonly descriptor: PluginDescriptor
  /** Credentials; each gives one deployment per model. Empty for keyless upstreams. */
  readonly keys: ReadonlyArray<SecretRef | string>
  /** Capability paths this provider can serve (see the capability tree). */
  readonly capabilities: readonly string[]
  /** The upstream origin, the only host this provider may call. */
  readonly baseURL: string
  /** Known models with pricing and limits; may be partial. */
  readonly models?: Readonly<Record<string, ModelInfo>>
  /** Same-dialect forward. Returns the upstream answer whatever its status; throws only on network errors. */
  doForward(request: ForwardRequest, ctx: ProviderCallContext): Promise<UpstreamResponse>
  /** Canonical (cross-dialect) call. Throws {@link import('../errors/upstream-error.js').UpstreamError} on a non-2xx answer. */
  doChat(request: ChatRequest, ctx: ProviderCallContext): Promise<ChatResponse>
  /** Canonical streaming call. The iterable ends after a `finish` part or an `error` part. */
  doStream(request: ChatRequest, ctx: ProviderCallContext): Promise<AsyncIterable<StreamPart>>
  /** The upstream's model catalogue. */
  listModels?(ctx: ProviderCallContext): Promise<ModelInfo[]>
  /** Whether a failure is retryable and what it is scoped to. */
  classifyError(failure: UpstreamFailure): ErrorClassification
  /** Price of a model, when known to the provider. */
  pricing?(model: string): ModelPricing | undefined
  /** Rate-limit headroom learned from upstream headers, for proactive rotation. */
  quota?(deployment: DeploymentRef): QuotaHeadroom | undefined
  close?(): Promise<void>
}

export interface QuotaHeadroom {
  remainingRequests?: number
  remainingTokens?: number
  resetAt?: number
}
