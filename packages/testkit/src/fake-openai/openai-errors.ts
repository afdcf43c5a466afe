/** OpenAI's error envelope. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}

export function openAIError(message: string, type: string, code: string | null = null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } }
}

/** The error body OpenAI sends for a status, worded like the real service. */
export function defaultErrorBody(status: number): OpenAIErrorBody {
  switch (status) {
    case 400:
      return openAIError('Invalid request (scripted by the fake upstream).', 'invalid_request_error')
    case 401:
      return openAIError('Incorrect API key provided. You can find your API key in your account settings.', 'invalid_request_error', 'invalid_api_key')
    case 403:
      return openAIError('You are not allowed to sample from this model.', 'invalid_request_error', 'model_not_allowed')
    case 404:
      return openAIError('The model does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')
    case 429:
      return openAIError('Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded')
    case 500:
      return openAIError('The server had an error while processing your request. Sorry about that!', 'server_error')
    case 502:
      return openAIError('Bad gateway.', 'server_error')
    case 503:
      return openAIError('The engine is currently overloaded, please try again later.', 'server_error')
    default:
      return status >= 500
        ? openAIError(`Upstream error ${status} (scripted by the fake upstream).`, 'server_error')
        : openAIError(`Request failed with status ${status} (scripted by the fake upstream).`, 'invalid_request_error')
  }
}

export const invalidApiKeyError = (key: string | undefined): OpenAIErrorBody =>
  key
    ? openAIError(`Incorrect API key provided: ${redact(key)}. You can find your API key in your account settings.`, 'invalid_request_error', 'invalid_api_key')
    : openAIError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
      )

function redact(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 3)}****${key.slice(-4)}`
}
