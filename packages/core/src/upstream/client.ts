import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type { Agent, Dispatcher } from 'undici'
import type { ProviderCallContext, UpstreamResponse } from '../contracts/provider.js'
import { abortOf, waitOf, type AbortState, type UpstreamWait } from './call-abort.js'
import { UpstreamError } from '../errors/upstream-error.js'
import { PullIterator, type PullSink } from './pull-source.js'

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
 * The gateway needs the `Agent` (its `dispatch`) and undici's table of well-known header names
 * only, so they are loaded by path (undici has no `exports` map); should a later undici move them,
 * the package entry is loaded instead.
 */
function loadUndici(): { Agent: typeof Agent; headerName: (raw: Buffer) => string; byPath: boolean } {
  const load = createRequire(import.meta.url)
  const lowerCased = (raw: Buffer): string => raw.toString('latin1').toLowerCase()
  try {
    const util = load('undici/lib/core/util.js') as { bufferToLowerCasedHeaderName?: (raw: Buffer) => string }
    return { Agent: load('undici/lib/dispatcher/agent.js'), headerName: typeof util.bufferToLowerCasedHeaderName === 'function' ? util.bufferToLowerCasedHeaderName : lowerCased, byPath: true }
  } catch {
    const undici = load('undici') as typeof import('undici')
    return { Agent: undici.Agent, headerName: lowerCased, byPath: false }
  }
}
const undici = loadUndici()
/** Whether undici's Agent came by path (for a test that notices an undici that moved it). */
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
 * The call is dispatched with a handler of our own ({@link UpstreamCall}) rather than undici's
 * `request` API, which wraps every answer in an async resource and a `Readable` stream and parses
 * its headers twice over (undici's object, then our flat copy): on a proxied answer that was ~7 % of
 * the gateway's event loop (bench/README, fifth session of 2026-12-03).
 *
 * @throws {@link UpstreamError} without a status when the upstream cannot be reached or the connection
 *   breaks (the undici error is kept as `cause`). When `signal` aborted the call, its `reason` is
 *   thrown unchanged so the engine recognises its own timers.
 */
export function upstreamRequest(init: UpstreamRequestInit): Promise<UpstreamResponse> {
  // Not an async function (one promise fewer per call), so a bad URL is turned into a rejection here.
  let url: { readonly origin: string; readonly path: string }
  let signal: (AbortState & (EventEmitter | AbortSignal)) | undefined
  try {
    url = splitUrl(init.url)
    signal = init.signal ?? (init.context ? abortOf(init.context) : undefined)
  } catch (error) {
    return Promise.reject(error)
  }
  if (signal?.aborted) return Promise.reject(networkError(abortError(), url.origin, signal))
  const wait = init.context ? waitOf(init.context) : undefined
  return new Promise<UpstreamResponse>((resolve, reject) => {
    const call = new UpstreamCall(url.origin, signal, wait, resolve, reject)
    try {
      agentFor(init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS).dispatch(
        {
          origin: url.origin,
          path: url.path,
          method: init.method,
          headers: init.headers as Record<string, string> | undefined,
          body: init.body ?? null,
          headersTimeout: init.headersTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
          bodyTimeout: init.bodyTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
        },
        call,
      )
      wait?.sent(performance.now())
    } catch (error) {
      call.onError(error as Error)
    }
  })
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

const DONE: Promise<IteratorResult<Uint8Array>> = Promise.resolve({ value: undefined, done: true })
/** Bytes of body queued while nobody reads before undici is told to stop reading the socket (a `Readable`'s default). */
const HIGH_WATER_BYTES = 64 * 1024
const enum Phase {
  /** Waiting for the status line and headers. */
  Head,
  Body,
  Ended,
  Failed,
  /** `cancel()`, an early `return()`, or the body already handed out (`text()`, a failure told once): nothing more to read. */
  Cancelled,
}

/**
 * One upstream call: undici's dispatch handler (its `onConnect`, `onHeaders`, `onData`, then `onComplete` or `onError`), then the
 * answer itself — status, headers, and the body as `text()` or as an async iterator of its chunks,
 * read on demand. When nobody waits, arriving chunks are queued, and past {@link HIGH_WATER_BYTES}
 * undici is told to stop reading the socket until the queue is read, so a slow client still slows
 * the upstream. Nothing is buffered twice: a chunk waited for goes straight to the reader.
 *
 * Like an async generator over a stream: an early `return()` (or `cancel()`) aborts the call,
 * freeing the connection, and a connection broken before the end fails the next read, after the
 * chunks already received. A wait is one promise (`next()`) or none (`pull()`, see {@link PullSource}).
 */
class UpstreamCall extends PullIterator<Uint8Array> implements UpstreamResponse {
  status = 0
  headers: Readonly<Record<string, string | undefined>> = NO_HEADERS
  #phase = Phase.Head
  readonly #origin: string
  readonly #signal: (AbortState & (EventEmitter | AbortSignal)) | undefined
  readonly #wait: UpstreamWait | undefined
  #resolve: ((response: UpstreamResponse) => void) | undefined
  #reject: ((error: unknown) => void) | undefined
  #abort: ((reason?: Error) => void) | undefined
  #resume: (() => void) | undefined
  #paused = false
  readonly #queue: Uint8Array[] = []
  #queuedBytes = 0
  /** Who waits for the next chunk. */
  #sink: PullSink<Uint8Array> | undefined
  /** A `text()` waiting for the end. */
  #text: { resolve: (text: string) => void; reject: (error: unknown) => void } | undefined
  #error: unknown
  readonly #onAbort: (() => void) | undefined

  constructor(origin: string, signal: (AbortState & (EventEmitter | AbortSignal)) | undefined, wait: UpstreamWait | undefined, resolve: (response: UpstreamResponse) => void, reject: (error: unknown) => void) {
    super()
    this.#origin = origin
    this.#signal = signal
    this.#wait = wait
    this.#resolve = resolve
    this.#reject = reject
    if (signal) {
      // Before the connection, undici's onConnect aborts; once answered, the body fails with the reason.
      this.#onAbort = () => this.#abort?.(abortError())
      if (typeof (signal as EventEmitter).on === 'function') (signal as EventEmitter).on('abort', this.#onAbort)
      else (signal as AbortSignal).addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  // undici's dispatch handler

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#signal?.aborted) abort(abortError())
    else this.#abort = abort
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true // 1xx: the answer is still to come
    this.#wait?.arrived(performance.now())
    this.status = statusCode
    this.headers = headersOf(rawHeaders)
    this.#resume = resume
    this.#phase = Phase.Body
    const resolve = this.#resolve!
    this.#resolve = this.#reject = undefined
    resolve(this)
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.#phase !== Phase.Body) return true
    this.#wait?.arrived(performance.now())
    const sink = this.#sink
    if (sink) {
      this.#sink = undefined
      sink.item(chunk)
      return true
    }
    this.#queue.push(chunk)
    this.#queuedBytes += chunk.length
    if (this.#text || this.#queuedBytes < HIGH_WATER_BYTES) return true
    this.#paused = true
    return false
  }

  onComplete(): void {
    if (this.#phase !== Phase.Body) return
    this.#wait?.arrived(performance.now())
    this.#phase = Phase.Ended
    this.#stopListening()
    const sink = this.#sink
    this.#sink = undefined
    sink?.end()
    if (this.#text) this.#text.resolve(this.#takeText())
  }

  onError(error: Error): void {
    this.#wait?.arrived(performance.now())
    this.#stopListening()
    const phase = this.#phase
    if (phase === Phase.Ended || phase === Phase.Failed || phase === Phase.Cancelled) return
    const mapped = networkError(error, this.#origin, this.#signal)
    this.#phase = Phase.Failed
    if (phase === Phase.Head) {
      const reject = this.#reject!
      this.#resolve = this.#reject = undefined
      return reject(mapped)
    }
    this.#error = mapped
    const sink = this.#sink
    this.#sink = undefined
    // A reader waiting fails (nothing is queued then) in a microtask, as a stream's error event comes
    // later: undici calls this from within `abort()`, and whoever aborted (the relay's idle timer)
    // expects to finish its own work first. Otherwise the next read fails, after the chunks queued.
    if (sink) queueMicrotask(() => sink.fail(mapped))
    if (this.#text) this.#text.reject(mapped)
  }

  // The answer

  get body(): AsyncIterable<Uint8Array> {
    return this
  }

  pull(sink: PullSink<Uint8Array>): void {
    const chunk = this.#queue.shift()
    if (chunk !== undefined) {
      this.#queuedBytes -= chunk.length
      if (this.#queue.length === 0) this.#resumeReading()
      return sink.item(chunk)
    }
    switch (this.#phase) {
      case Phase.Body:
        this.#sink = sink
        return this.#resumeReading()
      case Phase.Failed:
        this.#phase = Phase.Cancelled // the error is told once; later reads end
        return sink.fail(this.#error)
      default:
        return sink.end()
    }
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#cancel()
    return DONE
  }

  text(): Promise<string> {
    switch (this.#phase) {
      case Phase.Ended:
        return Promise.resolve(this.#takeText())
      case Phase.Failed:
        this.#phase = Phase.Cancelled
        return Promise.reject(this.#error)
      case Phase.Cancelled:
        return Promise.reject(new UpstreamError({ message: `the answer from ${this.#origin} was already cancelled or read` }))
    }
    return new Promise<string>((resolve, reject) => {
      this.#text = { resolve, reject }
      this.#resumeReading()
    })
  }

  async cancel(): Promise<void> {
    this.#cancel()
  }

  #cancel(): void {
    this.#queue.length = 0
    this.#queuedBytes = 0
    const phase = this.#phase
    if (phase === Phase.Ended || phase === Phase.Cancelled) return
    // Destroying rather than draining: the rest may be an endless stream or a large body.
    this.#phase = Phase.Cancelled
    this.#stopListening()
    this.#abort?.(abortError())
  }

  #resumeReading(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#resume?.()
  }

  /** The whole body as text (UTF-8, a byte-order mark skipped, as undici's `text()`). */
  #takeText(): string {
    const queue = this.#queue
    const body = queue.length === 1 ? (queue[0] as Buffer) : Buffer.concat(queue, this.#queuedBytes)
    queue.length = 0
    this.#queuedBytes = 0
    this.#phase = Phase.Cancelled
    const bom = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf
    return body.toString('utf8', bom ? 3 : 0)
  }

  #stopListening(): void {
    const signal = this.#signal
    if (!signal || !this.#onAbort) return
    if (typeof (signal as EventEmitter).off === 'function') (signal as EventEmitter).off('abort', this.#onAbort)
    else (signal as AbortSignal).removeEventListener('abort', this.#onAbort)
  }
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({})

/**
 * The answer's headers by lower-cased name (undici's interned names for the well-known ones);
 * repeated headers are joined with ", " as HTTP allows. Values are Latin-1, as undici gives them.
 */
function headersOf(raw: Buffer[]): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = undici.headerName(raw[i]!)
    const value = raw[i + 1]!.toString('latin1')
    const seen = Object.hasOwn(headers, name) ? headers[name] : undefined
    if (seen !== undefined) headers[name] = `${seen}, ${value}`
    else if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, configurable: true, writable: true })
    else headers[name] = value
  }
  return headers
}

/** What an abort with no reason of its own is reported as (an `AbortSignal` always has one). */
function abortError(): Error {
  return Object.assign(new Error('The upstream call was aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' })
}

function networkError(error: unknown, origin: string, signal: AbortState | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? error
  if (UpstreamError.isInstance(error)) return error
  const code = (error as { code?: unknown } | null)?.code
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  // Only the origin is named: paths and queries may carry deployment names or api versions, never useful here.
  return new UpstreamError({ message: `Upstream ${origin} could not be reached or broke the connection (${detail})`, cause: error })
}
