import type { Usage } from '../contracts/usage.js'
import { GatewayError } from '../errors/gateway-error.js'
import { isPullSource, type PullSink } from '../upstream/pull-source.js'

/** What a relay knows of the stream it translates; the translator updates it. */
export interface RelayProgress {
  usage?: Usage
  /** The terminal event was seen: the stream ended cleanly. */
  done: boolean
  /** The upstream sent something that is not valid in its dialect. */
  malformed?: string
  /** The upstream reported an error in-band (already rendered for the client by the translator). */
  upstreamError?: string
}

export interface RelayOptions<T> {
  /**
   * Upstream items (SSE events or canonical parts); the first was read already and is `first`.
   * Read with `pull` when it is a {@link import('../upstream/pull-source.js').PullSource}.
   */
  readonly items: AsyncIterator<T>
  /** One item → text for the client (null to send nothing); updates `progress`. */
  readonly translate: (item: T) => string | null
  readonly progress: RelayProgress
  readonly first: string | null
  /** An in-band error event in the client's dialect. */
  readonly errorEvent: (error: GatewayError) => string
  readonly idleTimeoutMs: number
  /** Abort the upstream call (idle timeout, malformed chunk). */
  readonly abortUpstream: (reason: string) => void
  readonly onEnd: (outcome: RelayOutcome) => void
}

export interface RelayOutcome {
  readonly usage: Usage | undefined
  /** Why the stream ended early, if it did. */
  readonly error?: string
  readonly clientDisconnected: boolean
}

const encoder = new TextEncoder()
const ENDED: Promise<undefined> = Promise.resolve(undefined)

/** A stream of SSE text for the client, pulled by whoever writes the response. */
export interface TextStream {
  /** The first event's text, already translated (sent together with the response headers). */
  readonly first: string | null
  /** The next non-empty text, or undefined once the stream has ended. */
  next(): Promise<string | undefined>
  /**
   * `next()` as a callback, without a promise per text (the Node listener's pump). `onText` is
   * called once, maybe synchronously; calling `pull` again from it is safe (no recursion).
   */
  pull(onText: (text: string | undefined) => void): void
  /** The client left: the rest is read and billed, not sent. */
  cancel(): void
  toReadableStream(): ReadableStream<Uint8Array>
}

/**
 * Relays an upstream stream to the client item by item, pulled at the client's pace (never
 * buffered whole). An upstream break after the first byte ends the client stream with an in-band
 * error event in the client's dialect. A client that leaves does not stop the upstream: the rest
 * is drained so the usage the provider bills is still recorded.
 *
 * Two ways out: `toReadableStream()` for the fetch handler, or `first` + `next()`/`pull()` pulled by
 * a writer of its own (the Node listener writes straight to the socket, without web streams).
 *
 * Written with callbacks bound once rather than async functions and a `Promise.race` per item:
 * a stream waits for its upstream most of its life (a token every few hundred ms), and whatever a
 * wait allocates outlives the young generation and is promoted. With an async chain and a fresh
 * timer per item that was ~4 KiB of old-generation garbage per relayed item, hundreds of MiB at
 * 10,000 streams (bench/README.md, "10,000 streams: memory per stream"). One idle timer per stream
 * is re-armed with `refresh()` instead, and a pull source (the passthrough SSE parser) is read with
 * callbacks, without a promise per item.
 */
export class TextRelay<T = unknown> implements TextStream {
  /** The first event's text, already translated (sent together with the response headers). */
  readonly first: string | null
  private finished = false
  /** The last text was handed out (or the client left): nothing more to pull. */
  private ended = false
  private clientGone = false
  /** A read of the upstream is in flight (the idle timeout applies only then). */
  private reading = false
  /** The client's pending `next()` / `pull()`. */
  private deliver: ((text: string | undefined) => void) | undefined
  private idleTimer: NodeJS.Timeout | undefined
  /** Inside `read()`: a read asked for meanwhile is made by its loop, not by recursion. */
  private inRead = false
  private readAgain = false
  private readonly onItem = (step: IteratorResult<T>): void => (step.done ? this.receivedEnd() : this.received(step.value))
  private readonly onBreak = (error: unknown): void => {
    if (this.finished) return
    this.reading = false
    this.fail(`upstream stream broke: ${(error as Error)?.message ?? String(error)}`)
  }
  private readonly sink: PullSink<T> = { item: (value) => this.received(value), end: () => this.receivedEnd(), fail: this.onBreak }
  private readonly onIdle = (): void => {
    // The timer is re-armed per read, not cleared after one: it may fire while the client is slow.
    if (!this.reading || this.finished) return
    this.reading = false
    this.options.abortUpstream('idle timeout')
    // The aborted read settles later and is ignored (`finished`).
    this.fail(`upstream sent nothing for ${this.options.idleTimeoutMs} ms`)
  }

  constructor(private readonly options: RelayOptions<T>) {
    this.first = options.first
  }

  private finish(error?: string): void {
    if (this.finished) return
    this.finished = true
    clearTimeout(this.idleTimer)
    this.options.onEnd({ usage: this.options.progress.usage, ...(error ? { error } : {}), clientDisconnected: this.clientGone })
  }

  /** End with an in-band error event in the client's dialect. */
  private fail(reason: string): void {
    this.finish(reason)
    this.emit(this.options.errorEvent(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_stream_error', message: reason })), true)
  }

  private read(): void {
    // A pull source may answer synchronously, and the answer may ask for the next read (an item
    // with nothing to send, a drain): loop rather than recurse, however many items are buffered.
    if (this.inRead) {
      this.readAgain = true
      return
    }
    this.inRead = true
    const { items } = this.options
    do {
      this.readAgain = false
      this.reading = true
      if (this.idleTimer) this.idleTimer.refresh()
      else this.idleTimer = setTimeout(this.onIdle, this.options.idleTimeoutMs)
      try {
        if (isPullSource(items)) items.pull(this.sink)
        else items.next().then(this.onItem, this.onBreak)
      } catch (error) {
        this.onBreak(error)
      }
    } while (this.readAgain)
    this.inRead = false
  }

  private receivedEnd(): void {
    if (this.finished) return
    this.reading = false
    const { progress } = this.options
    if (progress.done || progress.upstreamError !== undefined) {
      this.finish(progress.upstreamError)
      this.emit(undefined, true)
    } else this.fail('upstream ended the stream before its final event')
  }

  private received(value: T): void {
    if (this.finished) return
    this.reading = false
    const { options } = this
    const text = options.translate(value)
    if (options.progress.malformed !== undefined) {
      options.abortUpstream('malformed chunk')
      this.fail(`upstream sent a malformed chunk: ${options.progress.malformed}`)
      return
    }
    this.emit(text ?? undefined, false)
  }

  /** Hand a text to the waiting client, or read on (nothing to send, or the client left: drain). */
  private emit(text: string | undefined, end: boolean): void {
    if (end) this.ended = true
    if (this.clientGone) {
      if (!end) this.read()
      return
    }
    if (!text && !end) return this.read()
    const deliver = this.deliver
    this.deliver = undefined
    deliver?.(text)
  }

  /** The next non-empty text for the client, or undefined once the stream has ended. */
  next(): Promise<string | undefined> {
    if (this.ended) return ENDED
    return new Promise<string | undefined>((resolve) => this.pull(resolve))
  }

  pull(onText: (text: string | undefined) => void): void {
    if (this.ended) return onText(undefined)
    this.deliver = onText
    this.read()
  }

  /** The client left: read the rest without sending it, so the usage is still billed. */
  cancel(): void {
    if (this.clientGone) return
    this.clientGone = true
    this.ended = true
    const deliver = this.deliver
    this.deliver = undefined
    deliver?.(undefined)
    // A read in flight continues the drain when it lands.
    if (!this.finished && !this.reading) this.read()
  }

  /** The stream as a web `ReadableStream` (fetch handler, Hono). */
  toReadableStream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          if (this.first) controller.enqueue(encoder.encode(this.first))
        },
        pull: async (controller) => {
          const text = await this.next()
          if (this.clientGone) return
          if (text === undefined) controller.close()
          else controller.enqueue(encoder.encode(text))
        },
        cancel: () => this.cancel(),
      },
      { highWaterMark: 0 },
    )
  }
}
