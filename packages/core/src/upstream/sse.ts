import { createParser, type EventSourceParser } from 'eventsource-parser'
import { isPullSource, PullIterator, type PullSink } from './pull-source.js'

/** One server-sent event. `event` is absent for plain `data:` messages. */
export interface SSEEvent {
  event?: string
  data: string
}

export interface ParseSSEOptions {
  /** Largest event (in characters) accepted before failing; guards against a runaway upstream. Default 16 Mi. */
  maxEventSize?: number
}

/**
 * Turn a byte stream into server-sent events as they arrive (never buffering the whole body).
 * Multi-byte characters split across chunks are decoded correctly; comments (`: keep-alive`) and
 * `id`/`retry` fields are dropped. An event left unterminated when the body ends is still delivered,
 * because some OpenAI-compatible servers omit the final blank line. Ending early (`break`,
 * `return()`) ends the body's iterator too, which releases the connection.
 *
 * The iterator is also a {@link PullSource} (the relay reads it without a promise per event).
 *
 * @throws the body's own error, or an Error when one event exceeds `maxEventSize`.
 */
export function parseSSE(body: AsyncIterable<Uint8Array>, options: ParseSSEOptions = {}): AsyncIterableIterator<SSEEvent> {
  return new SSEEvents(body[Symbol.asyncIterator](), options.maxEventSize ?? 16 * 1024 * 1024)
}

const done = (): IteratorResult<SSEEvent> => ({ value: undefined, done: true })

/**
 * An iterator object rather than an async generator: a stream waits for its next chunk most of the
 * time, and a generator's wait (its request queue, the promises of `for await` and `yield*`) outlives
 * the young generation. Pulled (`pull`) from a body that is a pull source too, a wait allocates nothing.
 * Like a generator, it is not meant to be pulled again before the previous pull has been answered.
 */
class SSEEvents extends PullIterator<SSEEvent> {
  readonly #chunks: AsyncIterator<Uint8Array>
  readonly #decoder = new TextDecoder()
  readonly #pending: SSEEvent[] = []
  readonly #parser: EventSourceParser
  #failure: Error | undefined
  #done = false
  /** Who waits for the next event. */
  #sink: PullSink<SSEEvent> | undefined
  // Made once per stream: answers of the body, by callback or by promise.
  readonly #chunkSink: PullSink<Uint8Array> = {
    item: (chunk) => this.#received(chunk),
    end: () => this.#received(undefined),
    fail: (error) => this.#fail(error),
  }
  readonly #onStep = (step: IteratorResult<Uint8Array>): void => this.#received(step.done ? undefined : step.value)
  readonly #onBreak = (error: unknown): void => this.#fail(error)

  constructor(chunks: AsyncIterator<Uint8Array>, maxEventSize: number) {
    super()
    this.#chunks = chunks
    this.#parser = createParser({
      maxBufferSize: maxEventSize,
      onEvent: (message) => {
        this.#pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data })
      },
      onError: (error) => {
        // Unknown fields are legal SSE noise; only the size guard is fatal.
        if (error.type === 'max-buffer-size-exceeded') this.#failure = error
      },
    })
  }

  pull(sink: PullSink<SSEEvent>): void {
    const event = this.#pending.shift()
    if (event) return sink.item(event)
    if (this.#done) return sink.end()
    this.#sink = sink
    const chunks = this.#chunks
    if (isPullSource(chunks)) chunks.pull(this.#chunkSink)
    else chunks.next().then(this.#onStep, this.#onBreak)
  }

  async return(): Promise<IteratorResult<SSEEvent>> {
    this.#pending.length = 0
    if (!this.#done) {
      this.#done = true
      await this.#chunks.return?.()
    }
    return done()
  }

  /** A chunk of the body, or its end (`undefined`). */
  #received(chunk: Uint8Array | undefined): void {
    if (chunk === undefined) {
      this.#done = true
      const tail = this.#decoder.decode()
      if (tail) this.#parser.feed(tail)
      this.#parser.feed('\n\n')
    } else this.#parser.feed(this.#decoder.decode(chunk, { stream: true }))
    const sink = this.#sink!
    this.#sink = undefined
    if (this.#failure) {
      this.#pending.length = 0
      // As `for await` does when its loop throws: end the body, which releases the connection.
      if (!this.#done) void Promise.resolve(this.#chunks.return?.()).catch(() => {})
      this.#done = true
      return sink.fail(this.#failure)
    }
    this.pull(sink)
  }

  #fail(error: unknown): void {
    this.#done = true
    const sink = this.#sink!
    this.#sink = undefined
    sink.fail(error)
  }
}
