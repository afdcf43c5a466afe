import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { getRequestListener } from '@hono/node-server'
import type { IngressDialect } from '../dialects/ingress-dialect.js'
import { openAIChatIngress } from '../dialects/openai-chat/ingress.js'
import { anthropicMessagesIngress } from '../dialects/anthropic-messages/ingress.js'
import { toOpenAIError } from '../dialects/openai-chat/index.js'
import type { AppRuntime } from './app.js'
import { newRequestId } from '../ids/time-ordered-id.js'
import { serveChat, type ChatReply, type ChatRequestIO } from './chat-handler.js'
import { asGatewayError } from './errors.js'
import { readIncoming } from './read-body.js'
import { pumpText } from './sse-pump.js'

type NodeRequest = IncomingMessage | Http2ServerRequest
type NodeResponse = ServerResponse | Http2ServerResponse

/** A `node:http` / `node:http2` request listener. */
export type NodeListener = (request: NodeRequest, response: NodeResponse) => void

/** The routes served without the fetch API; everything else goes through the Hono app. */
const CHAT_ROUTES: Readonly<Record<string, IngressDialect>> = {
  '/v1/chat/completions': openAIChatIngress,
  '/v1/messages': anthropicMessagesIngress,
}

function headerOf(request: NodeRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The gateway as a Node request listener. The chat routes are served straight on Node's request
 * and response: no web `Request`/`Response`, no web streams — the body is read from the socket and
 * the answer written to it, SSE events as they come with the headers in the first write. This is
 * the gateway's hot path, and the fetch API costs a large share of a proxied request there (see
 * bench/). Every other route (models, health, admin, count_tokens) goes through the Hono app, so
 * both ways answer byte-for-byte the same.
 */
export function createNodeListener(runtime: AppRuntime, fetch: (request: Request, env?: unknown) => Response | Promise<Response>): NodeListener {
  const viaHono = getRequestListener(fetch, { overrideGlobalObjects: false }) as unknown as NodeListener
  return (request, response) => {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    const ingress = request.method === 'POST' ? CHAT_ROUTES[query === -1 ? url : url.slice(0, query)] : undefined
    if (!ingress) return viaHono(request, response)
    const io: ChatRequestIO = { header: (name) => headerOf(request, name), readBody: (limit) => readIncoming(request, limit) }
    serveChat(io, ingress, runtime).then(
      (reply) => writeReply(response, reply),
      (error: unknown) => {
        // serveChat answers every failure itself; this is a bug net, never a hang.
        const requestId = newRequestId()
        runtime.onError(error, requestId)
        const gatewayError = asGatewayError(error)
        writeReply(response, { status: gatewayError.status, headers: { 'content-type': 'application/json', 'x-mesh-request-id': requestId }, body: JSON.stringify(toOpenAIError(gatewayError)) })
      },
    )
  }
}

/** The client is gone (HTTP/1 response destroyed, or its HTTP/2 stream closed). */
const clientGone = (response: NodeResponse) => response.destroyed || ((response as Http2ServerResponse).stream?.destroyed ?? false)

function writeReply(response: NodeResponse, reply: ChatReply): void {
  if (clientGone(response)) {
    if (typeof reply.body !== 'string') reply.body.cancel()
    return
  }
  if (typeof reply.body === 'string') {
    // A reply's headers are made for this one answer (serveChat, the error and replay replies):
    // add the length to them rather than copying them.
    reply.headers['content-length'] = String(Buffer.byteLength(reply.body))
    ;(response as ServerResponse).writeHead(reply.status, reply.headers)
    response.end(reply.body)
    return
  }
  ;(response as ServerResponse).writeHead(reply.status, reply.headers)
  pumpText(response as ServerResponse, reply.body)
}
