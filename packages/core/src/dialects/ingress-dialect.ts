import type { ChatRequest } from '../contracts/chat-request.js'
import type { ChatResponse } from '../contracts/chat-response.js'
import type { Dialect } from '../contracts/dialect.js'
import type { StreamPart } from '../contracts/stream-part.js'
import type { GatewayError } from '../errors/gateway-error.js'
import type { PassthroughDialect } from '../engine/passthrough/passthrough-dialect.js'

/** What the ingress learned from a client body, parsed once. */
export interface ParsedIngressRequest {
  readonly body: Record<string, unknown>
  /** Public models in fallback order. */
  readonly models: string[]
  readonly stream: boolean
}

/** Renders canonical stream parts as the client's SSE events. */
export interface IngressStreamEncoder {
  /** SSE text for one part ('' when the part shows nothing). */
  encode(part: StreamPart): string
  /** True once the terminal event was written. */
  readonly done: boolean
}

/**
 * A dialect clients speak to the gateway (`openai.chat` on /v1/chat/completions,
 * `anthropic.messages` on /v1/messages). Everything dialect-specific on the request path lives
 * here, so the engine stays dialect-neutral.
 */
export interface IngressDialect {
  readonly name: Dialect
  /** Parse and validate a body; throws a 400 {@link GatewayError} in this dialect's words. */
  parseRequest(text: string): ParsedIngressRequest
  /** Same-dialect forwarding, used when the provider speaks this dialect natively. */
  readonly passthrough?: PassthroughDialect
  /** Client body → canonical request for a provider of another dialect. */
  toCanonical(body: Readonly<Record<string, unknown>>, upstreamModel: string): ChatRequest
  /** Canonical response → this dialect's JSON body. */
  fromCanonicalResponse(response: ChatResponse, publicModel: string): unknown
  createStreamEncoder(publicModel: string, requestId: string, body: Readonly<Record<string, unknown>>): IngressStreamEncoder
  /** The error body in this dialect's shape. */
  errorBody(error: GatewayError): unknown
  /** An in-band stream error event in this dialect. */
  errorEvent(error: GatewayError): string
}
