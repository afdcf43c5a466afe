import type { CounterStoreV1, LocalCounters } from '../contracts/counter-store.js'
import { StoreError } from './store-error.js'
import { windowStart } from './windows.js'

const STORE = 'memory counters'

/** Validates the arguments every counter store takes; shared so all stores refuse the same things. */
export function checkCounterArgs(store: string, key: unknown, windowMs: unknown, amount?: unknown): void {
  if (typeof key !== 'string' || key.length === 0) throw new StoreError({ code: 'invalid-input', store, message: `counter key must be a non-empty string, found ${JSON.stringify(key)}` })
  if (typeof windowMs !== 'number' || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new StoreError({ code: 'invalid-input', store, message: `windowMs must be a positive integer of milliseconds, found ${JSON.stringify(windowMs)}` })
  }
  if (amount !== undefined && (typeof amount !== 'number' || !Number.isSafeInteger(amount))) {
    throw new StoreError({ code: 'invalid-input', store, message: `increment amount must be an integer (requests, tokens), found ${JSON.stringify(amount)}` })
  }
}

export function checkStateTtl(store: string, ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new StoreError({ code: 'invalid-input', store, message: `state ttlMs must be a positive integer of milliseconds, found ${JSON.stringify(ttlMs)}` })
  }
}

/**
 * Counters, state and pub/sub in this process's memory: the default for a single gateway
 * process. Limits are per process; run the Redis store to share them across instances.
 */
export function memoryCounterStore(): CounterStoreV1 {
  const windows = new Map<string, { total: number; expiresAt: number }>()
  const states = new Map<string, { value: string; expiresAt: number }>()
  const channels = new Map<string, Set<(message: string) => void>>()
  /** Sliding logs: timestamps in order from `head` on (expired ones are skipped, then compacted in bulk). */
  const logs = new Map<string, { at: number[]; head: number }>()
  let writes = 0

  // Expired windows are dropped in a sweep every 1024 writes, so memory follows the live keys.
  const sweep = (now: number) => {
    if (++writes % 1024 !== 0) return
    recentIds.clear()
    for (const [id, window] of windows) if (window.expiresAt <= now) windows.delete(id)
    for (const [id, state] of states) if (state.expiresAt <= now) states.delete(id)
    for (const [id, log] of logs) if ((log.at.at(-1) ?? 0) <= now - 3_600_000) logs.delete(id)
  }
  const liveState = (key: string) => {
    const state = states.get(key)
    if (!state || state.expiresAt > Date.now()) return state?.value
    states.delete(key)
    return undefined
  }
  /**
   * Ids of the windows asked for lately, per key (a key's current and previous window, at most
   * four): the same id string every time, so the Map below hashes it once (building
   * `<windowMs>:<start>:<key>` anew turned a 13-digit start into text and hashed it on every call).
   * Forgotten at every sweep.
   */
  const recentIds = new Map<string, Array<{ windowMs: number; start: number; id: string }>>()
  const windowId = (key: string, windowMs: number, now: number) => {
    const start = windowStart(now, windowMs)
    let recent = recentIds.get(key)
    if (recent) {
      for (const r of recent) if (r.start === start && r.windowMs === windowMs) return r.id
    } else recentIds.set(key, (recent = []))
    const id = `${windowMs}:${start}:${key}`
    if (recent.length === 4) recent.shift()
    recent.push({ windowMs, start, id })
    return id
  }

  // The operations themselves are synchronous (`local`); the contract's promise methods wrap them.
  const local: Required<LocalCounters> = {
    increment(key, amount, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs, amount)
      const id = windowId(key, windowMs, now)
      let window = windows.get(id)
      if (!window) windows.set(id, (window = { total: 0, expiresAt: windowStart(now, windowMs) + 2 * windowMs }))
      window.total += amount
      sweep(Date.now())
      return window.total
    },
    get(key, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs)
      return windows.get(windowId(key, windowMs, now))?.total ?? 0
    },
    hit(key, limit, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs)
      let log = logs.get(key)
      if (!log) logs.set(key, (log = { at: [], head: 0 }))
      // Timestamps are appended in order, so the expired ones are a prefix: skip them, and drop them
      // in bulk once they are half the array (a busy key's log holds a minute of requests; shifting
      // it on every hit cost O(n) each).
      const { at } = log
      while (log.head < at.length && at[log.head]! <= now - windowMs) log.head++
      if (log.head > 64 && log.head * 2 > at.length) {
        // In place: `splice` would also return the dropped half as a new array (up to a minute of
        // timestamps, made in the old generation when that large) for the next full GC to free.
        at.copyWithin(0, log.head)
        at.length -= log.head
        log.head = 0
      }
      let count = at.length - log.head
      const allowed = count < limit
      if (allowed) {
        at.push(now)
        count++
      }
      sweep(now)
      return count ? { allowed, count, oldestAt: at[log.head]! } : { allowed, count }
    },
  }

  return {
    specificationVersion: 'mesh.store.v1',
    roles: { counters: 'mesh.counters.v1' },
    descriptor: { package: '@modelmesh/core', factory: 'memoryCounterStore', options: {} },
    local,
    async increment(key, amount, windowMs, now) {
      return local.increment(key, amount, windowMs, now)
    },
    async get(key, windowMs, now) {
      return local.get(key, windowMs, now)
    },
    async hit(key, limit, windowMs, now) {
      return local.hit(key, limit, windowMs, now)
    },
    async setState(key, value, ttlMs) {
      checkCounterArgs(STORE, key, 1)
      checkStateTtl(STORE, ttlMs)
      states.set(key, { value, expiresAt: Date.now() + ttlMs })
      sweep(Date.now())
    },
    async getState(key) {
      checkCounterArgs(STORE, key, 1)
      return liveState(key)
    },
    async deleteState(key) {
      checkCounterArgs(STORE, key, 1)
      const live = liveState(key) !== undefined
      states.delete(key)
      return live
    },
    async subscribe(channel, onMessage) {
      checkCounterArgs(STORE, channel, 1)
      const handlers = channels.get(channel) ?? new Set()
      // Wrap, so subscribing the same function twice gives two independent subscriptions.
      const handler = (message: string) => onMessage(message)
      handlers.add(handler)
      channels.set(channel, handlers)
      return async () => {
        handlers.delete(handler)
        if (handlers.size === 0) channels.delete(channel)
      }
    },
    async publish(channel, message) {
      checkCounterArgs(STORE, channel, 1)
      // Delivered asynchronously, like a network store, so a handler never runs inside publish().
      for (const handler of channels.get(channel) ?? []) queueMicrotask(() => handler(message))
    },
    async close() {
      channels.clear()
    },
  }
}
