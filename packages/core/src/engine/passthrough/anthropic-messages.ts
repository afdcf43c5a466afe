import { anthropicErrorEvent, anthropicErrorType } from '../../dialects/anthropic-messages/error.js'
import { anthropicUsageToCanonical } from '../../dialects/anthropic-messages/mapping.js'
import { mergeAnthropicUsage } from '../../dialects/anthropic-messages/stream-decoder.js'
import type { AnthropicUsage } from '../../dialects/anthropic-messages/wire-types.js'
import type { GatewayError } from '../../errors/gateway-error.js'
import type { PassthroughDialect, RelayState } from './passthrough-dialect.js'

/** Fields of the request that steer the gateway and must not reach the upstream. */
const GATEWAY_FIELDS = new Set(['models', 'route', 'provider'])

// Per-stream raw usage, merged across message_start and message_delta; keyed by the relay state.
const rawUsage = new WeakMap<RelayState, AnthropicUsage>()

/**
 * Anthropic → Anthropic forwarding. Anthropic always reports usage in streams (`message_start`,
 * then cumulative totals in `message_delta`), so nothing is injected and every event is relayed as
 * it came, named as it came.
 */
export const anthropicMessagesPassthrough: PassthroughDialect = {
  operation: 'messages',

  prepareBody(body, upstreamModel) {
    const out: Record<string, unknown> = {}
    for (const key in body) if (!GATEWAY_FIELDS.has(key)) out[key] = body[key]
    out.model = upstreamModel
    return out
  },

  clientWantsUsage: () => true,

  usageFromResponse(json) {
    const usage = json.usage as AnthropicUsage | null | undefined
    return usage ? anthropicUsageToCanonical(usage) : undefined
  },

  relayEvent(event, state) {
    let json: { type?: unknown; message?: { usage?: unknown }; usage?: unknown; error?: { message?: unknown } }
    try {
      json = JSON.parse(event.data)
    } catch {
      state.malformed = event.data.length > 80 ? event.data.slice(0, 77) + '...' : event.data
      return null
    }
    if (json === null || typeof json !== 'object') {
      state.malformed = 'an event that is not a JSON object'
      return null
    }
    const type = event.event ?? json.type
    if (type === 'message_start' || type === 'message_delta') {
      const merged = mergeAnthropicUsage(rawUsage.get(state) ?? {}, type === 'message_start' ? json.message?.usage : json.usage)
      rawUsage.set(state, merged)
      state.usage = anthropicUsageToCanonical(merged)
    } else if (type === 'message_stop') state.done = true
    else if (type === 'error') state.upstreamError = String(json.error?.message ?? 'upstream error')
    return `event: ${String(type)}\ndata: ${event.data}\n\n`
  },

  errorEvent(error: GatewayError) {
    return anthropicErrorEvent(anthropicErrorType(error), error.message)
  },
}
