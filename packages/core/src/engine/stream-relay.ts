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

/**
 * Relay an upstream stream to the client item by item, pulled at the client's pace (never
 * buffered whole). An upstream break after the first byte ends the client stream with an in-band
 * error event in the client's dialect. A client that leaves does not stop the upstream: the rest
 * is drained so the usage the provider bills is still recorded.
 */
export function relayStream<T>(options: RelayOptions<T>): ReadableStream<Uint8Array> {
  const { progress, items } = options
  let finished = false
  let clientGone = false

  const finish = (error?: string) => {
    if (finished) return
    finished = true
    options.onEnd({ usage: progress.usage, ...(error ? { error } : {}), clientDisconnected: clientGone })
  }
  const failWith = (reason: string): { text: string; end: true } => {
    finish(reason)
    return { text: options.errorEvent(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_stream_error', message: reason })), end: true }
  }

  /** Next text for the client; errors become an in-band error event and end the stream. */
  const nextText = async (): Promise<{ text?: string; end: boolean }> => {
    let step: IteratorResult<T> | 'idle'
    try {
      step = await withIdleTimeout(items.next(), options.idleTimeoutMs)
    } catch (error) {
      return failWith(`upstream stream broke: ${(error as Error).message}`)
    }
    if (step === 'idle') {
      options.abortUpstream('idle timeout')
      return failWith(`upstream sent nothing for ${options.idleTimeoutMs} ms`)
    }
    if (step.done) {
      if (progress.done || progress.upstreamError !== undefined) {
        finish(progress.upstreamError)
        return { end: true }
      }
      return failWith('upstream ended the stream before its final event')
    }
    const text = options.translate(step.value)
    if (progress.malformed !== undefined) {
      options.abortUpstream('malformed chunk')
      return failWith(`upstream sent a malformed chunk: ${progress.malformed}`)
    }
    return { text: text ?? undefined, end: false }
  }

  const drain = async () => {
    for (;;) if ((await nextText()).end) return
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (options.first) controller.enqueue(encoder.encode(options.first))
      },
      async pull(controller) {
        for (;;) {
          const { text, end } = await nextText()
          if (text && !clientGone) controller.enqueue(encoder.encode(text))
          if (end) {
            if (!clientGone) controller.close()
            return
          }
          if (text) return
        }
      },
      cancel() {
        clientGone = true
        if (!finished) void drain()
      },
    },
    { highWaterMark: 0 },
  )
}
