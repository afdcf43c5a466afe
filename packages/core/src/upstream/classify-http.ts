import type { ErrorClassification, UpstreamFailure } from '../contracts/error-classification.js'

/** undici / Node error codes that mean "the upstream did not answer in time", by reason. */
const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_idle',
  ETIMEDOUT: 'timeout_connect',
}

/**
 * Milliseconds to wait from `retry-after-ms` (OpenAI's precise header) or `retry-after` (seconds or
 * an HTTP date). Undefined when absent or unreadable.
 */
export function retryAfter(headers: Readonly<Record<string, string | undefined>> | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.['retry-after-ms'])
  if (headers?.['retry-after-ms'] && Number.isFinite(ms) && ms >= 0) return Math.round(ms)
  const value = headers?.['retry-after']?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The first `code` along an error's cause chain (the upstream client wraps undici's error). */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

export interface HttpClassificationOptions {
  /** Statuses that mean "this credential is unusable" (default 401, 402, 403). */
  readonly keyStatuses?: readonly number[]
  /** A wait the provider states in its own body, used when no `retry-after` header came. */
  readonly retryAfterFromBody?: (failure: UpstreamFailure) => number | undefined
  /** Reason names for particular statuses (`529` → `overloaded`). */
  readonly reasons?: Readonly<Record<number, string>>
}

/**
 * The HTTP failure classification every provider starts from:
 * - timeouts, connection errors, 408, 409, 5xx: the provider is failing — fail over;
 * - 429: throttled, with the upstream's wait as `retryAfterMs`;
 * - key statuses (401, 402, 403): this key is unusable — another key may work;
 * - 404: the model is not served here — try another deployment;
 * - other 4xx: the request is at fault — not retryable anywhere;
 * - 1xx/3xx: a misconfigured baseURL or a proxy in the way — another deployment may do better.
 * Providers add their own cases (a body code, a vendor status) before calling it.
 */
export function classifyHttpFailure(failure: UpstreamFailure, options: HttpClassificationOptions = {}): ErrorClassification {
  if (failure.timeout) return provider(`timeout_${failure.timeout.replace('-', '_')}`)
  const status = failure.status
  if (status === undefined) {
    const code = errorCode(failure.cause)
    return provider((code && TIMEOUT_CODES[code]) ?? 'connection_error')
  }
  const reason = options.reasons?.[status] ?? `http_${status}`
  const wait = () => retryAfter(failure.headers) ?? options.retryAfterFromBody?.(failure)
  if (status === 429) {
    const retryAfterMs = wait()
    return { retryable: true, scope: 'rate-limit', reason, ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if ((options.keyStatuses ?? [401, 402, 403]).includes(status)) return { retryable: true, scope: 'key', reason }
  if (status === 404) return { retryable: true, scope: 'model', reason }
  if (status === 408 || status === 409 || status >= 500) {
    const retryAfterMs = status === 503 || status === 529 ? wait() : undefined
    return { ...provider(reason), ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if (status >= 400) return { retryable: false, scope: 'request', reason }
  return provider(reason)
}

function provider(reason: string): ErrorClassification {
  return { retryable: true, scope: 'provider', reason }
}
