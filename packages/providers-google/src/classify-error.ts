import { classifyHttpFailure, type ErrorClassification, type UpstreamFailure } from '@modelmesh/core'

export { retryAfter } from '@modelmesh/core'

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
 * How a Gemini API / Vertex AI failure affects routing: the core's HTTP classification with
 * 401/403 as key problems (402 is not Google's), except that a 400 `API_KEY_INVALID` (Google's
 * answer to a bad key) is scoped to the key, and a 429 without `retry-after` waits the
 * `RetryInfo.retryDelay` Google puts in the body.
 */
export function classifyGoogleError(failure: UpstreamFailure): ErrorClassification {
  const error = googleError(failure.body)
  if (failure.status === 400 && error?.details?.some((d) => d.reason === 'API_KEY_INVALID')) return { retryable: true, scope: 'key', reason: 'api_key_invalid' }
  return classifyHttpFailure(failure, { keyStatuses: [401, 403], retryAfterFromBody: () => retryDelay(error) })
}

/** `google.rpc.RetryInfo.retryDelay` (`"30s"`, `"1.5s"`) in milliseconds. */
function retryDelay(error: GoogleError | undefined): number | undefined {
  const delay = error?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay
  const seconds = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined
  return seconds ? Math.round(Number(seconds) * 1000) : undefined
}
