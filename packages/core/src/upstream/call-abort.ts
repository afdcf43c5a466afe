import { EventEmitter } from 'node:events'
import type { DeploymentRef, ProviderCallContext } from '../contracts/provider.js'

/** What the upstream client reads of an abort: a real `AbortSignal` or a {@link CallAbort}. */
export interface AbortState {
  readonly aborted: boolean
  readonly reason?: unknown
}

/**
 * The abort of one upstream call, cheap until someone asks for an `AbortSignal`. On Node 20 a
 * controller's `signal` costs ~6 µs to make and an `abort` listener on it ~7 µs more: every attempt
 * paid both, though its timers almost never fire. This is an `EventEmitter` with `aborted` and
 * `reason` — the form of signal undici accepts — and `signal` makes a real `AbortSignal` on first
 * use (a provider that hands it to `fetch` or an SDK), aborted with the same reason.
 */
export class CallAbort extends EventEmitter {
  aborted = false
  reason: unknown = undefined
  #controller: AbortController | undefined

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.aborted) this.#controller.abort(this.reason)
    }
    return this.#controller.signal
  }

  /** Aborts once; later calls keep the first reason (as `AbortController.abort` does). */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.#controller?.abort(reason)
    this.emit('abort')
  }
}

const CALL_ABORT = Symbol('modelmesh.callAbort')

/**
 * The engine's {@link ProviderCallContext}: `signal` (an own getter, so a spread copy still has it)
 * is made only when a provider reads it. A provider built on `upstreamRequest` passes the context
 * itself (`context: ctx`) and the call listens to the {@link CallAbort} directly.
 */
export function engineCallContext(deployment: DeploymentRef, apiKey: string | undefined, requestId: string, connectTimeoutMs: number | undefined, abort: CallAbort): ProviderCallContext {
  return {
    deployment,
    apiKey,
    requestId,
    connectTimeoutMs,
    get signal() {
      return abort.signal
    },
    [CALL_ABORT]: abort,
  } as ProviderCallContext
}

/** The abort to listen to for a call made with `context` (and no `signal` of its own). */
export function abortOf(context: ProviderCallContext): AbortState & (EventEmitter | AbortSignal) {
  return (context as { [CALL_ABORT]?: CallAbort })[CALL_ABORT] ?? context.signal
}
