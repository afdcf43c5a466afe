import { MeshError } from './mesh-error.js'

const marker = Symbol.for('modelmesh.error.gateway')

/** OpenAI's error `type` values, which clients already switch on. */
export type GatewayErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'request_too_large'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error'

/**
 * An error the gateway answers a client with. The ingress dialect renders it in its own shape
 * (OpenAI `{ error: { message, type, param, code } }`, Anthropic `{ type: 'error', error }`).
 */
export class GatewayError extends MeshError {
  private readonly [marker] = true
  readonly status: number
  readonly type: GatewayErrorType
  readonly code: string | null
  readonly param: string | null
  readonly headers: Readonly<Record<string, string>>
  /** Extra JSON fields placed next to `message` (e.g. the list of attempts). */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(init: {
    status: number
    type: GatewayErrorType
    message: string
    code?: string | null
    param?: string | null
    headers?: Record<string, string>
    details?: Record<string, unknown>
    cause?: unknown
  }) {
    super('GatewayError', init.message, { cause: init.cause })
    this.status = init.status
    this.type = init.type
    this.code = init.code ?? null
    this.param = init.param ?? null
    this.headers = init.headers ?? {}
    this.details = init.details
  }

  static override isInstance(error: unknown): error is GatewayError {
    return MeshError.hasMarker(error, marker)
  }

  static invalidRequest(message: string, param?: string | null, code: string | null = null): GatewayError {
    return new GatewayError({ status: 400, type: 'invalid_request_error', message, param: param ?? null, code })
  }
}
