import type { Readable } from 'node:stream'
import { nextFromPull, type PullSink, type PullSource } from './pull-source.js'

const DONE: Promise<IteratorResult<Uint8Array>> = Promise.resolve({ value: undefined, done: true })

/**
 * A Node `Readable` (undici's response body) as an async iterator of its chunks, read on demand:
 * when nobody waits, arriving chunks are queued and the stream paused (undici then stops reading the
 * socket once its own buffer is full), so a slow client still slows the upstream.
 *
 * Not `for await (… of readable)`, whose iterator is an async generator: a streamed answer spends
 * most of its life waiting for the next chunk, and each wait of that generator (wrapped in one of
 * our own) allocated promises, closures and request objects that lived as long as the wait, got
 * promoted to the old generation and piled up as garbage. Here a wait is one promise (`next()`) or
 * none (`pull()`, see {@link PullSource}).
 *
 * Like the generator: nothing is read before the first `next()`, an early `return()` destroys the
 * stream (freeing the connection), and a stream closed before its end fails with "Premature close".
 */
export class ReadableChunks implements AsyncIterableIterator<Uint8Array>, PullSource<Uint8Array> {
  readonly #raw: Readable
  readonly #mapError: (error: unknown) => unknown
  readonly #queue: Uint8Array[] = []
  /** Who waits for the next chunk. */
  #sink: PullSink<Uint8Array> | undefined
  #listening = false
  #ended = false
  #failed = false
  #error: unknown

  /** `mapError` turns the stream's error into the one the caller throws (e.g. an UpstreamError). */
  constructor(raw: Readable, mapError: (error: unknown) => unknown) {
    this.#raw = raw
    this.#mapError = mapError
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    return nextFromPull(this)
  }

  pull(sink: PullSink<Uint8Array>): void {
    if (!this.#listening) this.#listen()
    const chunk = this.#queue.shift()
    if (chunk !== undefined) {
      if (this.#queue.length === 0 && !this.#ended) this.#raw.resume()
      return sink.item(chunk)
    }
    if (this.#failed) {
      this.#failed = false
      this.#ended = true
      return sink.fail(this.#error)
    }
    if (this.#ended) return sink.end()
    this.#sink = sink
    this.#raw.resume()
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#queue.length = 0
    this.#failed = false
    if (!this.#ended) {
      this.#ended = true
      if (!this.#raw.destroyed) this.#raw.destroy()
    }
    return DONE
  }

  #listen(): void {
    this.#listening = true
    const raw = this.#raw
    raw.on('data', (chunk: Uint8Array) => {
      const sink = this.#sink
      if (sink) {
        this.#sink = undefined
        sink.item(chunk)
      } else {
        this.#queue.push(chunk)
        raw.pause()
      }
    })
    raw.on('end', () => this.#settle(undefined))
    raw.on('error', (error: unknown) => this.#settle(this.#mapError(error), true))
    raw.on('close', () => {
      if (!raw.readableEnded) this.#settle(this.#mapError(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })), true)
    })
  }

  #settle(error: unknown, failed = false): void {
    if (this.#ended || this.#failed) return
    const sink = this.#sink
    this.#sink = undefined
    if (!failed) {
      this.#ended = true
      sink?.end()
    } else if (sink) {
      this.#ended = true
      sink.fail(error)
    } else {
      // Thrown by the next `next()`, after the chunks already queued.
      this.#failed = true
      this.#error = error
    }
  }
}
