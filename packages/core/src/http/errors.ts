import type { Context } from 'hono'
import { toOpenAIError } from '../dialects/openai-chat/index.js'
import { GatewayError } from '../errors/gateway-error.js'

/** Map anything thrown on the request path to a GatewayError; internals never leak to clients. */
export function asGatewayError(error: unknown): GatewayError {
  if (GatewayError.isInstance(error)) return error
  return new GatewayError({ status: 500, type: 'api_error', code: 'internal_error', message: 'The gateway failed to process the request. It has been logged with the request id.', cause: error })
}

/** An OpenAI-shaped error response with the gateway's receipt headers. */
export function openAIErrorResponse(c: Context, error: GatewayError, requestId: string): Response {
  return c.json(toOpenAIError(error), error.status as 400, { ...error.headers, 'x-mesh-request-id': requestId })
}
