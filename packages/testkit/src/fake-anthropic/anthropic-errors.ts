/** Anthropic's error envelope. */
export interface AnthropicErrorBody {
  type: 'error'
  error: { type: string; message: string }
  request_id: string | null
}

const TYPES: Readonly<Record<number, [type: string, message: string]>> = {
  400: ['invalid_request_error', 'Invalid request (scripted by the fake upstream).'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'This request would exceed the rate limit for your organization. Please try again later.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
}

export function anthropicError(type: string, message: string, requestId: string | null = null): AnthropicErrorBody {
  return { type: 'error', error: { type, message }, request_id: requestId }
}

/** The error body Anthropic sends for a status, worded like the real service. */
export function defaultAnthropicErrorBody(status: number, message?: string): AnthropicErrorBody {
  const known = TYPES[status]
  const type = known?.[0] ?? (status >= 500 ? 'api_error' : 'invalid_request_error')
  return anthropicError(type, message ?? known?.[1] ?? `Request failed with status ${status} (scripted by the fake upstream).`)
}
