export { upstreamRequest, closeUpstreamClients, type UpstreamRequestInit } from './client.js'
export { parseSSE, type SSEEvent, type ParseSSEOptions } from './sse.js'
