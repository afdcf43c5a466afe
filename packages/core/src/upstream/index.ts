export { upstreamRequest, closeUpstreamClients, type UpstreamRequestInit } from './client.js'
export { parseSSE, type SSEEvent, type ParseSSEOptions } from './sse.js'
export { MAX_ERROR_BODY, readBounded, upstreamMessage, throwOnErrorStatus, guardedParts } from './provider-kit.js'
export { classifyHttpFailure, retryAfter, errorCode, type HttpClassificationOptions } from './classify-http.js'
