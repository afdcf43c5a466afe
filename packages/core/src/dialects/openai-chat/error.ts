import type { GatewayError } from '../../errors/gateway-error.js'
import type { OpenAIErrorBody } from './wire-types.js'

/**
 * A {@link GatewayError} in OpenAI's error shape, `{ error: { message, type, param, code, …details } }`.
 * `details` (e.g. the attempts made) sit inside `error`, next to `message`; they cannot override the
 * four standard fields.
 */
export function toOpenAIError(error: GatewayError): OpenAIErrorBody {
  return { error: { ...error.details, message: error.message, type: error.type, param: error.param, code: error.code } }
}
