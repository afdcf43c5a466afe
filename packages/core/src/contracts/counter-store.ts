/**
 * Atomic windowed counters and shared breaker state across gateway instances.
 * Process-local by default; Redis when many instances must share limits.
 */
export interface CounterStoreV1 {
  readonly specificationVersion: 'mesh.counters.v1'
  /** Add `amount` to the counter of the window that contains `now`; returns the new total of that window. */
  increment(key: string, amount: number, windowMs: number, now?: number): Promise<number>
  /** Current total of the window that contains `now`. */
  get(key: string, windowMs: number, now?: number): Promise<number>
  /** Shared breaker / deployment state as opaque JSON text with a TTL. */
  setState(key: string, value: string, ttlMs: number): Promise<void>
  getState(key: string): Promise<string | undefined>
  /** Fan-out of events such as key revocations; returns an unsubscribe function. */
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>
  publish?(channel: string, message: string): Promise<void>
  close?(): Promise<void>
}
