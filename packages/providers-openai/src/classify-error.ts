import type { ErrorClassification, UpstreamFailure } from '@modelmesh/core'

/** undici / Node error codes that mean "the upstream did not answer in time", by reason. */
const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_idle',
  ETIMEDOUT: 'timeout_connect',
}

/**
 * How an OpenAI-style upstream failure affects routing:
 * - 400, 413, 422 and other 4xx: the request is at fault — not retryable anywhere;
 * - 404: the model is not served by this deployment — try another;
 * - 401, 403, 402: this key is unusable (or out of credit) — another key may work;
 * - 429: throttled, with `retryAfterMs` from `retry-after-ms` / `retry-after`; but a 429 whose error
 *   code is `insufficient_quota` is a billing state of the key, so another key is the cure;
 * - 408, 409, 5xx, connection errors and timeouts: the provider is failing — fail over.
 */
export function classifyOpenAIError(failure: UpstreamFailure): ErrorClassification {
  if (failure.timeout) return provider(`timeout_${failure.timeout.replace('-', '_')}`)
  const status = failure.status
  if (status === undefined) {
    const code = errorCode(failure.cause)
    return provider((code && TIMEOUT_CODES[code]) ?? 'connection_error')
  }
  const reason = `http_${status}`
  if (status === 429) {
    if (upstreamErrorCode(failure.body) === 'insufficient_quota') return { retryable: true, scope: 'key', reason: 'insufficient_quota' }
    const retryAfterMs = retryAfter(failure.headers)
    return { retryable: true, scope: 'rate-limit', reason, ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if (status === 401 || status === 402 || status === 403) return { retryable: true, scope: 'key', reason }
  if (status === 404) return { retryable: true, scope: 'model', reason }
  if (status === 408 || status === 409 || status >= 500) return provider(reason)
  if (status >= 400) return { retryable: false, scope: 'request', reason }
  // A 1xx/3xx reaching this point means a misconfigured baseURL or a proxy in the way; another deployment may do better.
  return provider(reason)
}

function provider(reason: string): ErrorClassification {
  return { retryable: true, scope: 'provider', reason }
}

/**
 * Milliseconds to wait, from `retry-after-ms` (OpenAI's precise header) or `retry-after` (seconds or
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
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function upstreamErrorCode(body: string | undefined): string | undefined {
  if (!body) return undefined
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } }).error
    const code = error?.code ?? error?.type
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}
