import { createRequire } from 'node:module'
import type { Agent, Dispatcher } from 'undici'
import type { ProviderCallContext, UpstreamResponse } from '../contracts/provider.js'
import { abortOf, type AbortState } from './call-abort.js'
import { UpstreamError } from '../errors/upstream-error.js'
import { ReadableChunks } from './readable-chunks.js'

/** One upstream HTTP call. */
export interface UpstreamRequestInit {
  /** Absolute URL, query string included. */
  readonly url: string
  readonly method: Dispatcher.HttpMethod
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  /** Aborts the call and, once answered, its body. The engine's timers and client disconnects use it. */
  readonly signal?: AbortSignal
  /**
   * The call context the request is made for: aborts the call like its `signal` (used when no
   * `signal` is given). Prefer `context: ctx` to `signal: ctx.signal` — for the engine's own
   * contexts the call then listens to the attempt's abort without making an `AbortSignal`
   * (~13 µs per call on Node 20).
   */
  readonly context?: ProviderCallContext
  /** Time allowed to open the TCP/TLS connection. Default 10 s. */
  readonly connectTimeoutMs?: number
  /**
   * Time allowed until the response headers arrive; 0 disables it. For a non-streaming call the
   * headers only come with the finished answer, so this is nearly its total time.
   * Default 10 min: a last-resort net — the engine's own timers (first token, idle, total) are the real
   * limits, and undici's 5 min default would cut long reasoning calls short.
   */
  readonly headersTimeoutMs?: number
  /** Time allowed between two body chunks; 0 disables it. Default 10 min, for the same reason. */
  readonly bodyTimeoutMs?: number
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_READ_TIMEOUT_MS = 600_000

/**
 * undici's package entry loads all of undici — fetch, WebSocket, EventSource, caches, mocks: ~110
 * modules and ~9 MB of resident memory in a process that never uses them (bench/README "Memory").
 * The gateway needs the `Agent` and the `request` API only, so they are loaded by path (undici has no
 * `exports` map); should a later undici move them, the package entry is loaded instead.
 */
function loadUndici(): { Agent: typeof Agent; request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>; byPath: boolean } {
  const load = createRequire(import.meta.url)
  try {
    return { Agent: load('undici/lib/dispatcher/agent.js'), request: load('undici/lib/api/api-request.js'), byPath: true }
  } catch {
    const undici = load('undici') as typeof import('undici')
    return { Agent: undici.Agent, request: undici.Agent.prototype.request as never, byPath: false }
  }
}
const undici = loadUndici()
/** Whether undici's Agent and request API came by path (for a test that notices an undici that moved them). */
export const undiciLoadedByPath = undici.byPath

// undici takes the connect timeout per Agent, not per request, so there is one Agent per distinct
// value; each Agent keeps its own keep-alive pool per origin. In practice this is one or two Agents.
const agents = new Map<number, Agent>()

function agentFor(connectTimeoutMs: number): Agent {
  let agent = agents.get(connectTimeoutMs)
  if (!agent) {
    agent = new undici.Agent({ connectTimeout: connectTimeoutMs })
    agents.set(connectTimeoutMs, agent)
  }
  return agent
}

/**
 * Send one request upstream through a pooled undici `Agent` (keep-alive per origin — not the global
 * `fetch`, which is several times slower for a proxy). The answer is returned whatever its status;
 * its body is streamed, never buffered unless `text()` is called.
 *
 * @throws {@link UpstreamError} without a status when the upstream cannot be reached or the connection
 *   breaks (the undici error is kept as `cause`). When `signal` aborted the call, its `reason` is
 *   thrown unchanged so the engine recognises its own timers.
 */
export async function upstreamRequest(init: UpstreamRequestInit): Promise<UpstreamResponse> {
  const url = splitUrl(init.url)
  const agent = agentFor(init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)
  const signal = init.signal ?? (init.context ? abortOf(init.context) : undefined)
  let data: Dispatcher.ResponseData
  try {
    data = await undici.request.call(agent, {
      origin: url.origin,
      path: url.path,
      method: init.method,
      headers: init.headers as Record<string, string> | undefined,
      body: init.body ?? null,
      // undici takes an AbortSignal or an EventEmitter with `aborted`/`reason` (a CallAbort).
      signal: (signal ?? null) as AbortSignal | null,
      headersTimeout: init.headersTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
      bodyTimeout: init.bodyTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    })
  } catch (error) {
    throw networkError(error, url.origin, signal)
  }
  return new PooledUpstreamResponse(data, url.origin, signal)
}

// A gateway calls the same few URLs over and over (a deployment's endpoint): parse each once.
const SPLIT_URL_CACHE_LIMIT = 256
const splitUrls = new Map<string, { readonly origin: string; readonly path: string }>()

function splitUrl(href: string): { readonly origin: string; readonly path: string } {
  let split = splitUrls.get(href)
  if (!split) {
    const url = new URL(href)
    split = { origin: url.origin, path: url.pathname + url.search }
    if (splitUrls.size >= SPLIT_URL_CACHE_LIMIT) splitUrls.clear()
    splitUrls.set(href, split)
  }
  return split
}

/** Close every pooled connection (gateway shutdown, end of a test file). New calls open new pools. */
export async function closeUpstreamClients(): Promise<void> {
  const closing = [...agents.values()].map((agent) => agent.close())
  agents.clear()
  await Promise.allSettled(closing)
}

class PooledUpstreamResponse implements UpstreamResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly #raw: Dispatcher.ResponseData['body']
  readonly #origin: string
  readonly #signal: AbortState | undefined
  #body: AsyncIterable<Uint8Array> | undefined

  constructor(data: Dispatcher.ResponseData, origin: string, signal: AbortState | undefined) {
    this.status = data.statusCode
    this.headers = flattenHeaders(data.headers)
    this.#raw = data.body
    this.#origin = origin
    this.#signal = signal
  }

  /** Made on first use: a JSON answer read with `text()` never needs it. Nothing is read until someone iterates. */
  get body(): AsyncIterable<Uint8Array> {
    return (this.#body ??= new ReadableChunks(this.#raw, (error) => networkError(error, this.#origin, this.#signal)))
  }

  async text(): Promise<string> {
    try {
      return await this.#raw.text()
    } catch (error) {
      throw networkError(error, this.#origin, this.#signal)
    }
  }

  async cancel(): Promise<void> {
    // Destroying rather than draining: the rest may be an endless stream or a large body.
    if (!this.#raw.destroyed) this.#raw.destroy()
  }
}

/** undici gives lower-cased names already; repeated headers are joined as HTTP allows. */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {}
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue
    const value = headers[name]
    flat[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

function networkError(error: unknown, origin: string, signal: AbortState | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? error
  if (UpstreamError.isInstance(error)) return error
  const code = (error as { code?: unknown } | null)?.code
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  // Only the origin is named: paths and queries may carry deployment names or api versions, never useful here.
  return new UpstreamError({ message: `Upstream ${origin} could not be reached or broke the connection (${detail})`, cause: error })
}
