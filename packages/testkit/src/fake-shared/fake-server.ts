import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { randomId } from './answer-plan.js'
import { BodyTooLargeError, delay, destroyConnection, readBody, sendJson, untilAborted } from './http-io.js'
import type { Behavior, BehaviorInput, FakeUpstream, RecordedCall } from './types.js'

const HOST = '127.0.0.1'

/** Answers one routed request once transport faults and scripted errors are handled. */
export type RouteHandler = (res: ServerResponse, behavior: Behavior, call: RecordedCall, headers: Record<string, string>, signal: AbortSignal) => Promise<void> | void

/** What makes one fake speak its dialect; the server around it (script queue, faults, recording) is shared. */
export interface FakeDialect {
  /** Used in messages, e.g. `OpenAI`. */
  readonly name: string
  /** Path prefix clients put in their base URL, e.g. `/v1`. */
  readonly basePath: string
  /** The handler for a request, or undefined for an unknown route (answered 404). */
  route(call: RecordedCall): RouteHandler | undefined
  /** The dialect's error body for a status (scripted errors, 404, 413, internal failures). */
  errorBody(status: number, message?: string): unknown
  /** The answer (401 for most dialects) when the call lacks one of the accepted credentials; undefined when it may pass. */
  rejectCredential?(call: RecordedCall, accepted: ReadonlySet<string>): { status: number; body: unknown } | undefined
  /** Headers on every answer, e.g. a request id. */
  baseHeaders(): Record<string, string>
  /**
   * Routes answered before credentials and scripts are looked at (an OAuth token endpoint):
   * they consume no scripted behavior.
   */
  unscripted?(call: RecordedCall): ((res: ServerResponse, call: RecordedCall) => void) | undefined
}

export interface FakeServerOptions {
  port?: number
  /** When given, calls must present one of these credentials (as the dialect expects them). */
  apiKeys?: string[]
  defaultBehavior?: BehaviorInput
}

/**
 * Starts a fake upstream on 127.0.0.1 for one dialect: it records every call and answers each with
 * the next scripted {@link Behavior} (latency, hangs, disconnects, scripted statuses with the
 * dialect's own error bodies), leaving the answer's content to the dialect's route handlers.
 */
export async function startFakeServer(dialect: FakeDialect, options: FakeServerOptions = {}): Promise<FakeUpstream> {
  const apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined
  const initialDefault: BehaviorInput = options.defaultBehavior ?? {}
  const sockets = new Set<Socket>()
  // The requests being handled, each aborted when its client leaves or the fake closes.
  const handling = new Set<AbortController>()
  const calls: RecordedCall[] = []
  let queue: BehaviorInput[] = []
  let fallback = initialDefault
  let inFlight = 0

  const server = createServer((req, res) => {
    inFlight++
    const request = new AbortController()
    handling.add(request)
    // Only while the answer is being made: aborting makes an AbortError (a stack trace), which a
    // response closing normally after its handler finished does not need.
    res.on('close', () => {
      if (handling.has(request)) request.abort()
    })
    handle(req, res, request.signal)
      .catch((error: unknown) => failInternally(res, error))
      .finally(() => {
        inFlight--
        handling.delete(request)
      })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function failInternally(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      destroyConnection(res)
      return
    }
    sendJson(res, 500, dialect.errorBody(500, `fake upstream internal error: ${error instanceof Error ? error.message : String(error)}`))
  }

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    let rawBody: string
    try {
      rawBody = await readBody(req)
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendJson(res, 413, dialect.errorBody(413, error.message))
      return
    }
    const call = recordCall(req, rawBody)
    const direct = dialect.unscripted?.(call)
    if (direct) {
      direct(res, call)
      return
    }
    calls.push(call)
    const baseHeaders = dialect.baseHeaders()
    if (apiKeys && dialect.rejectCredential) {
      const rejection = dialect.rejectCredential(call, apiKeys)
      if (rejection !== undefined) {
        sendJson(res, rejection.status, rejection.body, baseHeaders)
        return
      }
    }
    const handler = dialect.route(call)
    if (!handler) {
      sendJson(res, 404, dialect.errorBody(404, `Invalid URL (${call.method} ${call.path})`), baseHeaders)
      return
    }
    const next = queue.shift() ?? fallback
    let behavior: Behavior
    try {
      behavior = typeof next === 'function' ? next(call) : next
    } catch (error) {
      sendJson(res, 500, dialect.errorBody(500, `fake upstream: the scripted behavior threw: ${String(error)}`), baseHeaders)
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
      sendJson(res, status, behavior.errorBody ?? dialect.errorBody(status), headers)
      return
    }
    await handler(res, behavior, call, headers, signal)
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new Error(`fake ${dialect.name} upstream could not listen on ${HOST}:${options.port ?? 0}: ${error.message}`, { cause: error }))
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
    baseURL: `${url}${dialect.basePath}`,
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
        for (const request of handling) request.abort()
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

/** `randomId` for request-id headers, re-exported for dialects. */
export { randomId }
