import type { ErrorClassification, UpstreamFailure } from '@modelmesh/core'

const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_idle',
  ETIMEDOUT: 'timeout_connect',
}

interface GoogleError {
  status?: string
  details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string }>
}

function googleError(body: string | undefined): GoogleError | undefined {
  if (!body) return undefined
  try {
    const error = (JSON.parse(body) as { error?: GoogleError }).error
    return error && typeof error === 'object' ? error : undefined
  } catch {
    return undefined
  }
}

/**
 * How a Gemini API / Vertex AI failure affects routing:
 * - 400 is the request's fault, except `API_KEY_INVALID` (Google's answer to a bad key), scoped to the key;
 * - 401, 403: this credential is unusable — another key (or service account) may work;
 * - 404: the model is not served here — try another deployment;
 * - 429 (`RESOURCE_EXHAUSTED`): throttled, waiting `retry-after` or the `RetryInfo.retryDelay` Google sends;
 * - 408, 409, 5xx, connection errors and timeouts: fail over.
 */
export function classifyGoogleError(failure: UpstreamFailure): ErrorClassification {
  if (failure.timeout) return provider(`timeout_${failure.timeout.replace('-', '_')}`)
  const status = failure.status
  if (status === undefined) {
    const code = errorCode(failure.cause)
    return provider((code && TIMEOUT_CODES[code]) ?? 'connection_error')
  }
  const error = googleError(failure.body)
  const reason = `http_${status}`
  if (status === 400 && error?.details?.some((d) => d.reason === 'API_KEY_INVALID')) return { retryable: true, scope: 'key', reason: 'api_key_invalid' }
  if (status === 429) {
    const retryAfterMs = retryAfter(failure.headers) ?? retryDelay(error)
    return { retryable: true, scope: 'rate-limit', reason, ...(retryAfterMs !== undefined && { retryAfterMs }) }
  }
  if (status === 401 || status === 403) return { retryable: true, scope: 'key', reason }
  if (status === 404) return { retryable: true, scope: 'model', reason }
  if (status === 408 || status === 409 || status >= 500) return provider(reason)
  if (status >= 400) return { retryable: false, scope: 'request', reason }
  return provider(reason)
}

function provider(reason: string): ErrorClassification {
  return { retryable: true, scope: 'provider', reason }
}

/** Milliseconds from `retry-after` (seconds or an HTTP date). */
export function retryAfter(headers: Readonly<Record<string, string | undefined>> | undefined, now = Date.now()): number | undefined {
  const value = headers?.['retry-after']?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** `google.rpc.RetryInfo.retryDelay` (`"30s"`, `"1.5s"`) in milliseconds. */
function retryDelay(error: GoogleError | undefined): number | undefined {
  const delay = error?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay
  const seconds = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined
  return seconds ? Math.round(Number(seconds) * 1000) : undefined
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
