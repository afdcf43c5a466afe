import type { Usage } from '../contracts/usage.js'
import { GatewayError } from '../errors/gateway-error.js'

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
  /** Upstream items (SSE events or canonical parts); the first was read already and is `first`. */
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

function withIdleTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'idle'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'idle'>((resolve) => {
    timer = setTimeout(() => resolve('idle'), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A stream of SSE text for the client, pulled by whoever writes the response. */
export interface TextStream {
  /** The first event's text, already translated (sent together with the response headers). */
  readonly first: string | null
  /** The next non-empty text, or undefined once the stream has ended. */
  next(): Promise<string | undefined>
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
 * Two ways out: `toReadableStream()` for the fetch handler, or `first` + `next()` pulled by a
 * writer of its own (the Node listener writes straight to the socket, without web streams).
 */
export class TextRelay<T = unknown> implements TextStream {
  /** The first event's text, already translated (sent together with the response headers). */
  readonly first: string | null
  private finished = false
  /** The last text was handed out (or the client left): nothing more to pull. */
  private ended = false
  private clientGone = false
  private pulling: Promise<unknown> | undefined

  constructor(private readonly options: RelayOptions<T>) {
    this.first = options.first
  }

  private finish(error?: string): void {
    if (this.finished) return
    this.finished = true
    this.options.onEnd({ usage: this.options.progress.usage, ...(error ? { error } : {}), clientDisconnected: this.clientGone })
  }

  private failWith(reason: string): { text: string; end: true } {
    this.finish(reason)
    return { text: this.options.errorEvent(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_stream_error', message: reason })), end: true }
  }

  /** Next text for the client; errors become an in-band error event and end the stream. */
  private async step(): Promise<{ text?: string; end: boolean }> {
    const { options } = this
    const { progress } = options
    let step: IteratorResult<T> | 'idle'
    try {
      step = await withIdleTimeout(options.items.next(), options.idleTimeoutMs)
    } catch (error) {
      return this.failWith(`upstream stream broke: ${(error as Error).message}`)
    }
    if (step === 'idle') {
      options.abortUpstream('idle timeout')
      return this.failWith(`upstream sent nothing for ${options.idleTimeoutMs} ms`)
    }
    if (step.done) {
      if (progress.done || progress.upstreamError !== undefined) {
        this.finish(progress.upstreamError)
        return { end: true }
      }
      return this.failWith('upstream ended the stream before its final event')
    }
    const text = options.translate(step.value)
    if (progress.malformed !== undefined) {
      options.abortUpstream('malformed chunk')
      return this.failWith(`upstream sent a malformed chunk: ${progress.malformed}`)
    }
    return { text: text ?? undefined, end: false }
  }

  /** The next non-empty text for the client, or undefined once the stream has ended. */
  async next(): Promise<string | undefined> {
    while (!this.ended) {
      const pending = this.step()
      this.pulling = pending
      const { text, end } = await pending
      this.pulling = undefined
      if (end) this.ended = true
      if (this.clientGone) {
        if (!end) void this.drain()
        this.ended = true
        return undefined
      }
      if (text) return text
    }
    return undefined
  }

  /** The client left: read the rest without sending it, so the usage is still billed. */
  cancel(): void {
    if (this.clientGone) return
    this.clientGone = true
    // A pull in flight notices `clientGone` and continues the drain itself.
    if (!this.finished && !this.pulling && !this.ended) void this.drain()
    this.ended = true
  }

  private async drain(): Promise<void> {
    for (;;) if ((await this.step()).end) return
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
