import type { PluginDescriptor } from './plugin-descriptor.js'

/** What a sliding-log admission (`hit`) answers. */
export interface SlidingLogResult {
  readonly allowed: boolean
  /** Events in the window after this call. */
  readonly count: number
  /** When the oldest event in the window happened (it leaves the window at `oldestAt + windowMs`). */
  readonly oldestAt?: number
}

/** The synchronous counter operations of an in-process store (see `CounterStoreV1.local`). */
export interface LocalCounters {
  increment(key: string, amount: number, windowMs: number, now?: number): number
  get(key: string, windowMs: number, now?: number): number
  hit?(key: string, limit: number, windowMs: number, now?: number): SlidingLogResult
}

/**
 * Atomic windowed counters, shared breaker state and event fan-out across gateway instances.
 * Process-local by default; Redis when many instances must share limits.
 *
 * Windows are fixed and aligned to the epoch: the window of `now` starts at
 * `Math.floor(now / windowMs) * windowMs` (see `windowStart`) and every instance using the same
 * key and `windowMs` counts into the same window. A sliding estimate can be read from the
 * current and the previous window (`slidingWindowTotal`). A window is kept at least until the
 * next one ends, so the previous window stays readable.
 */
export interface CounterStoreV1 {
  readonly specificationVersion: 'mesh.store.v1'
  readonly roles: { readonly counters: 'mesh.counters.v1' }
  /** How to recreate this store from JSON (for the IR and the compile step). */
  readonly descriptor: PluginDescriptor
  /**
   * Add the integer `amount` (negative to give back an over-estimate) to the counter of the
   * window that contains `now` (default: the caller's clock); resolves the new total of that
   * window. Concurrent increments never lose an update.
   */
  increment(key: string, amount: number, windowMs: number, now?: number): Promise<number>
  /** Current total of the window that contains `now`; 0 when nothing was counted. */
  get(key: string, windowMs: number, now?: number): Promise<number>
  /**
   * Sliding-log admission: count one event under `key` when fewer than `limit` events happened in
   * `(now − windowMs, now]`, atomically. Resolves whether it was admitted, the count in the window
   * after this call, and when the oldest event in it leaves the window. Exact where the two-window
   * estimate is approximate; stores without it leave it out and limits fall back to the estimate.
   */
  hit?(key: string, limit: number, windowMs: number, now?: number): Promise<SlidingLogResult>
  /**
   * Synchronous twins of `increment`, `get` and `hit`, for a store that lives in this process (the
   * built-in memory store): the rate limiter calls them on every admitted request instead of
   * awaiting a promise per counter. Same semantics and validation as the asynchronous methods. A
   * store that talks to a server leaves it out.
   */
  readonly local?: LocalCounters
  /** Shared breaker / deployment state as opaque text that expires after `ttlMs`. */
  setState(key: string, value: string, ttlMs: number): Promise<void>
  getState(key: string): Promise<string | undefined>
  deleteState(key: string): Promise<boolean>
  /**
   * Fan-out of events such as key revocations to every instance subscribed to `channel`
   * (including this one). Resolves once the subscription is active, with an unsubscribe
   * function. Stores without fan-out leave both methods out; the engine then relies on TTLs.
   */
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>
  publish?(channel: string, message: string): Promise<void>
  /** Closes connections. Safe to call more than once. */
  close?(): Promise<void>
}
