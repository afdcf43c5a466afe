import type { GatewayError } from '../../errors/gateway-error.js'
import type { AnthropicErrorBody } from './wire-types.js'

/** Anthropic's error `type` for a gateway error: its own vocabulary, chosen by type and status. */
export function anthropicErrorType(error: Pick<GatewayError, 'type' | 'status'>): string {
  if (error.status === 413) return 'request_too_large'
  switch (error.type) {
    case 'invalid_request_error':
    case 'authentication_error':
    case 'permission_error':
    case 'not_found_error':
    case 'rate_limit_error':
    case 'request_too_large':
    case 'timeout_error':
      return error.type
    case 'insufficient_quota':
      return 'billing_error'
    default:
      if (error.status === 529 || error.status === 503) return 'overloaded_error'
      if (error.status === 504) return 'timeout_error'
      return 'api_error'
  }
}

/**
 * A {@link GatewayError} in Anthropic's error shape, `{ type: 'error', error: { type, message } }`.
 * The gateway's own details (code, param, attempts) sit inside `error`, next to `message`.
 */
export function toAnthropicError(error: GatewayError): AnthropicErrorBody {
  const extra: Record<string, unknown> = { ...error.details }
  if (error.code !== null) extra.code = error.code
  if (error.param !== null) extra.param = error.param
  return { type: 'error', error: { ...extra, type: anthropicErrorType(error), message: error.message } }
}

/** The SSE `event: error` Anthropic sends when a stream fails after it started. */
export function anthropicErrorEvent(type: string, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`
}
