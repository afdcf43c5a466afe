import type { CounterStoreV1, LocalCounters } from '../contracts/counter-store.js'

/** Start of the fixed, epoch-aligned window of `windowMs` that contains `now`. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs
}

/**
 * Sliding-window estimate from two fixed windows: the current total plus the previous window's
 * total weighted by how much of it still overlaps `[now − windowMs, now]`. Smooths the double
 * burst a fixed window allows at its boundary, at the cost of one more read.
 */
export async function slidingWindowTotal(store: CounterStoreV1, key: string, windowMs: number, now = Date.now()): Promise<number> {
  const [current, previous] = await Promise.all([store.get(key, windowMs, now), store.get(key, windowMs, now - windowMs)])
  return weighWindows(current, previous, windowMs, now)
}

/** `slidingWindowTotal` of an in-process store's synchronous counters. */
export function slidingWindowTotalNow(local: LocalCounters, key: string, windowMs: number, now = Date.now()): number {
  return weighWindows(local.get(key, windowMs, now), local.get(key, windowMs, now - windowMs), windowMs, now)
}

function weighWindows(current: number, previous: number, windowMs: number, now: number): number {
  const elapsed = (now - windowStart(now, windowMs)) / windowMs
  return current + Math.round(previous * (1 - elapsed))
}
