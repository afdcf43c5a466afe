import type { Usage } from '../contracts/usage.js'
import type { SSEEvent } from '../upstream/sse.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { PassthroughDialect, RelayState } from './passthrough/passthrough-dialect.js'


export interface RelayOptions {
  readonly dialect: PassthroughDialect
  readonly state: RelayState
  /** The upstream events; the first one has been read already and is passed as `first`. */
  readonly events: AsyncIterator<SSEEvent>
  readonly first: string | null
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
 * Relay an upstream SSE stream to the client event by event, pulled at the client's pace.
 * An upstream break after the first byte ends the client stream with an in-band error event in
 * the client's dialect. A client that leaves does not stop the upstream: the rest is drained so
 * the usage the provider bills is still recorded.
 */
export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  const { dialect, state, events } = options
  let finished = false
  let clientGone = false

  const finish = (error?: string) => {
    if (finished) return
    finished = true
    options.onEnd({ usage: state.usage, ...(error ? { error } : {}), clientDisconnected: clientGone })
  }

  /** Next text for the client, or undefined at the end; errors become an in-band error event. */
  const nextText = async (): Promise<{ text?: string; end: boolean }> => {
    let step: IteratorResult<SSEEvent> | 'idle'
    try {
      step = await withIdleTimeout(events.next(), options.idleTimeoutMs)
    } catch (error) {
      const reason = `upstream stream broke: ${(error as Error).message}`
      finish(reason)
      return { text: errorText(reason), end: true }
    }
    if (step === 'idle') {
      const reason = `upstream sent nothing for ${options.idleTimeoutMs} ms`
      options.abortUpstream('idle timeout')
      finish(reason)
      return { text: errorText(reason), end: true }
    }
    if (step.done) {
      if (state.done) {
        finish()
        return { end: true }
      }
      const reason = 'upstream ended the stream before its final event'
      finish(reason)
      return { text: errorText(reason), end: true }
    }
    const text = dialect.relayEvent(step.value, state)
    if (state.malformed !== undefined) {
      const reason = `upstream sent a malformed chunk: ${state.malformed}`
      options.abortUpstream('malformed chunk')
      finish(reason)
      return { text: errorText(reason), end: true }
    }
    return { text: text ?? undefined, end: false }
  }

  const errorText = (message: string) =>
    dialect.errorEvent(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_stream_error', message }))

  const drain = async () => {
    // The client left: read the upstream to its end so its usage is billed.
    for (;;) {
      const { end } = await nextText()
      if (end) return
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (options.first) controller.enqueue(encoder.encode(options.first))
      },
      async pull(controller) {
        for (;;) {
          const { text, end } = await nextText()
          if (text !== undefined && !clientGone) controller.enqueue(encoder.encode(text))
          if (end) {
            if (!clientGone) controller.close()
            return
          }
          if (text !== undefined) return
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
