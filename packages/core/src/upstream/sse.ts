import { createParser, type EventSourceParser } from 'eventsource-parser'

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
 * @throws the body's own error, or an Error when one event exceeds `maxEventSize`.
 */
export function parseSSE(body: AsyncIterable<Uint8Array>, options: ParseSSEOptions = {}): AsyncIterableIterator<SSEEvent> {
  return new SSEEvents(body[Symbol.asyncIterator](), options.maxEventSize ?? 16 * 1024 * 1024)
}

const done = (): IteratorResult<SSEEvent> => ({ value: undefined, done: true })

/**
 * An iterator object rather than an async generator: a stream waits for its next chunk most of the
 * time, and a generator's wait (its request queue, the promises of `for await` and `yield*`) outlives
 * the young generation. Here a wait costs the body's own promise and one `then`.
 * Like a generator, it is not meant to be pulled again before the previous `next()` has settled.
 */
class SSEEvents implements AsyncIterableIterator<SSEEvent> {
  readonly #chunks: AsyncIterator<Uint8Array>
  readonly #decoder = new TextDecoder()
  readonly #pending: SSEEvent[] = []
  readonly #parser: EventSourceParser
  #failure: Error | undefined
  #done = false
  readonly #onChunk = (step: IteratorResult<Uint8Array>): IteratorResult<SSEEvent> | Promise<IteratorResult<SSEEvent>> => this.#received(step)
  readonly #onBreak = (error: unknown): never => {
    this.#done = true
    throw error
  }

  constructor(chunks: AsyncIterator<Uint8Array>, maxEventSize: number) {
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

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<SSEEvent>> {
    const event = this.#pending.shift()
    if (event) return Promise.resolve({ value: event, done: false })
    if (this.#done) return Promise.resolve(done())
    return this.#chunks.next().then(this.#onChunk, this.#onBreak)
  }

  async return(): Promise<IteratorResult<SSEEvent>> {
    this.#pending.length = 0
    if (!this.#done) {
      this.#done = true
      await this.#chunks.return?.()
    }
    return done()
  }

  #received(step: IteratorResult<Uint8Array>): IteratorResult<SSEEvent> | Promise<IteratorResult<SSEEvent>> {
    if (step.done) {
      this.#done = true
      const tail = this.#decoder.decode()
      if (tail) this.#parser.feed(tail)
      this.#parser.feed('\n\n')
    } else this.#parser.feed(this.#decoder.decode(step.value, { stream: true }))
    if (this.#failure) {
      this.#done = true
      this.#pending.length = 0
      // As `for await` does when its loop throws: end the body, which releases the connection.
      if (!step.done) void Promise.resolve(this.#chunks.return?.()).catch(() => {})
      throw this.#failure
    }
    return this.next()
  }
}
