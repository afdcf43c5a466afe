import type { Usage } from '../../contracts/usage.js'
import type { RelayProgress } from '../stream-relay.js'
import type { GatewayError } from '../../errors/gateway-error.js'

/** Per-stream state a passthrough dialect keeps while relaying one upstream stream. */
export interface RelayState extends RelayProgress {
  /** Whether the client asked for usage in the stream (we may have injected the flag). */
  readonly clientWantsUsage: boolean
}

/**
 * What the engine needs to forward a request in the provider's own dialect with minimal edits:
 * rename the model, ask for stream usage, read usage back, and relay SSE events one by one.
 */
export interface PassthroughDialect {
  /** Operation path below the provider's base URL. */
  readonly operation: string
  /** The body to send upstream: a shallow copy with the upstream model and gateway fields removed. */
  prepareBody(body: Readonly<Record<string, unknown>>, upstreamModel: string, stream: boolean): Record<string, unknown>
  clientWantsUsage(body: Readonly<Record<string, unknown>>): boolean
  /** Usage of a complete JSON response, parsed by the caller. */
  usageFromResponse(json: Readonly<Record<string, unknown>>): Usage | undefined
  /** One upstream SSE event → the text to send the client (or null to drop it). */
  relayEvent(event: { event?: string; data: string }, state: RelayState): string | null
  /** An in-band error event in this dialect, sent when the upstream breaks mid-stream. */
  errorEvent(error: GatewayError): string
}
