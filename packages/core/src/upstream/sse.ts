import { createParser } from 'eventsource-parser'

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
 * because some OpenAI-compatible servers omit the final blank line.
 *
 * @throws the body's own error, or an Error when one event exceeds `maxEventSize`.
 */
export async function* parseSSE(body: AsyncIterable<Uint8Array>, options: ParseSSEOptions = {}): AsyncGenerator<SSEEvent> {
  const decoder = new TextDecoder()
  const pending: SSEEvent[] = []
  let failure: Error | undefined
  const parser = createParser({
    maxBufferSize: options.maxEventSize ?? 16 * 1024 * 1024,
    onEvent: (message) => {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data })
    },
    onError: (error) => {
      // Unknown fields are legal SSE noise; only the size guard is fatal.
      if (error.type === 'max-buffer-size-exceeded') failure = error
    },
  })

  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }))
    if (failure) throw failure
    if (pending.length > 0) yield* pending.splice(0)
  }
  const tail = decoder.decode()
  if (tail) parser.feed(tail)
  parser.feed('\n\n')
  if (failure) throw failure
  yield* pending.splice(0)
}
