import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { answerChat } from './answer-chat.js'
import { answerModels, DEFAULT_MODELS, normaliseModels } from './answer-models.js'
import { randomId } from './chat-answer.js'
import { BodyTooLargeError, delay, destroyConnection, readBody, sendJson, untilAborted } from './http-io.js'
import { defaultErrorBody, invalidApiKeyError, openAIError } from './openai-errors.js'
import type { Behavior, BehaviorInput, FakeOpenAIOptions, FakeUpstream, RecordedCall } from './types.js'

const HOST = '127.0.0.1'

type Route = { kind: 'chat' } | { kind: 'models'; modelId: string | undefined }

/**
 * Starts a fake OpenAI-compatible upstream on 127.0.0.1 (an ephemeral port unless `port` is given).
 * It serves `POST /v1/chat/completions` (JSON and SSE, shaped like OpenAI's) and `GET /v1/models`,
 * records every call, and answers each request with the next scripted {@link Behavior}.
 *
 * @example
 * const fake = await startFakeOpenAI()
 * fake.script({ reply: 'Hello' }, { status: 429, retryAfter: 1 })
 * // … point a client at fake.baseURL …
 * await fake.close()
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  const models = normaliseModels(options.models ?? DEFAULT_MODELS)
  const apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined
  const initialDefault: BehaviorInput = options.defaultBehavior ?? {}
  const sockets = new Set<Socket>()
  const lifetime = new AbortController()
  const calls: RecordedCall[] = []
  let queue: BehaviorInput[] = []
  let fallback = initialDefault
  let inFlight = 0

  const server = createServer((req, res) => {
    inFlight++
    const request = new AbortController()
    const abort = (): void => request.abort()
    res.on('close', abort)
    lifetime.signal.addEventListener('abort', abort, { once: true })
    handle(req, res, request.signal)
      .catch((error: unknown) => failInternally(res, error))
      .finally(() => {
        inFlight--
        lifetime.signal.removeEventListener('abort', abort)
      })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    let rawBody: string
    try {
      rawBody = await readBody(req)
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendJson(res, 413, openAIError(error.message, 'invalid_request_error'))
      return
    }
    const call = recordCall(req, rawBody)
    calls.push(call)
    const baseHeaders = { 'x-request-id': randomId('req_', 32) }

    if (apiKeys) {
      const key = /^Bearer\s+(.+)$/i.exec(call.headers.authorization ?? '')?.[1]
      if (!key || !apiKeys.has(key)) {
        sendJson(res, 401, invalidApiKeyError(key), baseHeaders)
        return
      }
    }
    const route = matchRoute(call.method, call.path)
    if (!route) {
      sendJson(res, 404, openAIError(`Invalid URL (${call.method} ${call.path})`, 'invalid_request_error'), baseHeaders)
      return
    }
    const next = queue.shift() ?? fallback
    let behavior: Behavior
    try {
      behavior = typeof next === 'function' ? next(call) : next
    } catch (error) {
      sendJson(res, 500, openAIError(`fake upstream: the scripted behavior threw: ${String(error)}`, 'server_error'), baseHeaders)
      return
    }

    if (behavior.latencyMs && !(await delay(behavior.latencyMs, signal))) return
    if (behavior.disconnectBeforeHeaders) {
      destroyConnection(res)
      return
    }
    if (behavior.hang) {
      await untilAborted(signal)
      destroyConnection(res)
      return
    }
    const headers: Record<string, string> = { ...baseHeaders, ...behavior.headers }
    if (behavior.retryAfter !== undefined) headers['retry-after'] = String(behavior.retryAfter)
    const status = behavior.status ?? 200
    if (status >= 400) {
      sendJson(res, status, behavior.errorBody ?? defaultErrorBody(status), headers)
      return
    }
    if (route.kind === 'models') answerModels(res, models, route.modelId, status, headers)
    else await answerChat(res, behavior, call, headers, signal)
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new Error(`fake OpenAI upstream could not listen on ${HOST}:${options.port ?? 0}: ${error.message}`, { cause: error }))
    }
    server.once('error', onError)
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${HOST}:${port}`
  let closing: Promise<void> | undefined

  const upstream: FakeUpstream = {
    url,
    baseURL: `${url}/v1`,
    port,
    calls,
    get inFlight() {
      return inFlight
    },
    get queued() {
      return queue.length
    },
    script(...behaviors) {
      queue.push(...behaviors)
      return this
    },
    setDefault(behavior) {
      fallback = behavior
      return this
    },
    reset() {
      calls.length = 0
      queue = []
      fallback = initialDefault
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort()
        server.close(() => resolve())
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
  return upstream
}

function recordCall(req: IncomingMessage, rawBody: string): RecordedCall {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  const url = req.url ?? '/'
  let body: unknown
  if (rawBody.length > 0) {
    try {
      body = JSON.parse(rawBody)
    } catch {
      body = undefined
    }
  }
  return { method: req.method ?? 'GET', path: url.split('?')[0] ?? url, url, headers, body, rawBody, time: Date.now() }
}

function matchRoute(method: string, path: string): Route | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
  if (method === 'POST' && trimmed === '/v1/chat/completions') return { kind: 'chat' }
  if (method === 'GET' && trimmed === '/v1/models') return { kind: 'models', modelId: undefined }
  const single = /^\/v1\/models\/(.+)$/.exec(trimmed)
  if (method === 'GET' && single?.[1]) return { kind: 'models', modelId: decodeURIComponent(single[1]) }
  return undefined
}

/** A bug in the fake itself: say so in OpenAI's shape rather than leaving the client hanging. */
function failInternally(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    destroyConnection(res)
    return
  }
  sendJson(res, 500, openAIError(`fake upstream internal error: ${error instanceof Error ? error.message : String(error)}`, 'server_error'))
}
