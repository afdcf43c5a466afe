import { openAIUsageToCanonical } from '../../dialects/openai-chat/mapping.js'
import type { OpenAIUsage } from '../../dialects/openai-chat/wire-types.js'
import type { GatewayError } from '../../errors/gateway-error.js'
import type { PassthroughDialect, RelayState } from './passthrough-dialect.js'

/** Fields of the request that steer the gateway and must not reach the upstream. */
const GATEWAY_FIELDS = new Set(['models', 'route', 'provider'])

const USAGE_NULL_SUFFIX = ',"usage":null}'

export const openAIChatPassthrough: PassthroughDialect = {
  operation: 'chat/completions',

  prepareBody(body, upstreamModel, stream) {
    const out: Record<string, unknown> = {}
    for (const key in body) if (!GATEWAY_FIELDS.has(key)) out[key] = body[key]
    out.model = upstreamModel
    if (stream) {
      // Usage is what we bill; ask for it even when the client did not (removed again on relay).
      const options = body.stream_options
      out.stream_options = { ...(options && typeof options === 'object' ? options : {}), include_usage: true }
    }
    return out
  },

  clientWantsUsage(body) {
    const options = body.stream_options as { include_usage?: unknown } | undefined
    return options?.include_usage === true
  },

  usageFromResponse(json) {
    const usage = json.usage as OpenAIUsage | null | undefined
    return usage ? openAIUsageToCanonical(usage) : undefined
  },

  relayEvent(event, state: RelayState) {
    const data = event.data
    if (data === '[DONE]') {
      state.done = true
      return 'data: [DONE]\n\n'
    }
    // The common chunk carries `"usage":null` only because we asked for usage: strip it textually
    // for clients that did not ask, so they get the bytes they would have got without us.
    if (data.endsWith(USAGE_NULL_SUFFIX) && data.charCodeAt(0) === 123 /* { */) {
      return `data: ${state.clientWantsUsage ? data : data.slice(0, -USAGE_NULL_SUFFIX.length) + '}'}\n\n`
    }
    let chunk: { usage?: OpenAIUsage | null; choices?: unknown[]; error?: { message?: string } }
    try {
      chunk = JSON.parse(data)
    } catch {
      state.malformed = data.length > 80 ? data.slice(0, 77) + '...' : data
      return null
    }
    if (chunk === null || typeof chunk !== 'object') {
      state.malformed = 'a chunk that is not a JSON object'
      return null
    }
    if (chunk.error) {
      state.upstreamError = chunk.error.message ?? 'upstream error'
      return `data: ${data}\n\n`
    }
    if (chunk.usage) {
      state.usage = openAIUsageToCanonical(chunk.usage)
      if (!state.clientWantsUsage) {
        if (!chunk.choices || chunk.choices.length === 0) return null
        delete chunk.usage
        return `data: ${JSON.stringify(chunk)}\n\n`
      }
    }
    return `data: ${data}\n\n`
  },

  errorEvent(error: GatewayError) {
    return `data: ${JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } })}\n\n`
  },
}
