import type { GatewayError } from '../../errors/gateway-error.js'
import type { GoogleErrorBody } from './wire-types.js'

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
}

/** The google.rpc status name of an HTTP status, e.g. `RESOURCE_EXHAUSTED` for 429. */
export function googleStatusName(status: number): string {
  return STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION')
}

/** A {@link GatewayError} in Google's error shape, `{ error: { code, message, status } }`. */
export function toGoogleError(error: GatewayError): GoogleErrorBody {
  return { error: { code: error.status, message: error.message, status: googleStatusName(error.status) } }
}
