/** Google's error envelope (google.rpc.Status as JSON). */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] }
}

const STATUSES: Readonly<Record<number, [status: string, message: string]>> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'models/unknown is not found for API version v1beta, or is not supported for generateContent.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
}

export function googleError(code: number, message: string, status: string, details?: unknown[]): GoogleErrorBody {
  return { error: { code, message, status, ...(details && { details }) } }
}

/** The error body Google sends for a status, worded like the real service. */
export function defaultGoogleErrorBody(code: number, message?: string): GoogleErrorBody {
  const known = STATUSES[code]
  return googleError(code, message ?? known?.[1] ?? `Request failed with status ${code} (scripted by the fake upstream).`, known?.[0] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'))
}

/** What the Gemini API answers to a bad API key: a 400, recognisable only by its ErrorInfo reason. */
export function invalidGoogleApiKey(): GoogleErrorBody {
  return googleError(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
  ])
}
