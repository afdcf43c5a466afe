import type { ErrorClassification, UpstreamFailure } from '@modelmesh/core'

const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_idle',
  ETIMEDOUT: 'timeout_connect',
}

/**
 * How an Anthropic failure affects routing:
 * - 400, 413, 422 and other 4xx: the request is at fault — not retryable anywhere;
 * - 404 (`not_found_error`): this model is not served here — try another deployment;
 * - 401, 403, 402 (`billing_error`): this key is unusable — another key may work;
 * - 429: throttled, with `retryAfterMs` from `retry-after`;
 * - 529 (`overloaded_error`), 408, 409, other 5xx, connection errors and timeouts: fail over.
 */
export function classifyAnthropicError(failure: UpstreamFailure): ErrorClassification {
  if (failure.timeout) return provider(`timeout_${failure.timeout.replace('-', '_')}`)
  const status = failure.status
  if (status === undefined) {
    const code = errorCode(failure.cause)
    return provider((code && TIMEOUT_CODES[code]) ?? 'connection_error')
  }
  const reason = status === 529 ? 'overloaded' : `http_${status}`
  if (status === 429) {
    const retryAfterMs = retryAfter(failure.headers)
    return { retryable: true, scope: 'rate-limit', reason, ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if (status === 401 || status === 402 || status === 403) return { retryable: true, scope: 'key', reason }
  if (status === 404) return { retryable: true, scope: 'model', reason }
  if (status === 408 || status === 409 || status >= 500) {
    const retryAfterMs = status === 529 ? retryAfter(failure.headers) : undefined
    return { ...provider(reason), ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if (status >= 400) return { retryable: false, scope: 'request', reason }
  return provider(reason)
}

function provider(reason: string): ErrorClassification {
  return { retryable: true, scope: 'provider', reason }
}

/** Milliseconds from `retry-after` (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfter(headers: Readonly<Record<string, string | undefined>> | undefined, now = Date.now()): number | undefined {
  const value = headers?.['retry-after']?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
