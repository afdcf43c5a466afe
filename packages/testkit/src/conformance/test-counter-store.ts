import { StoreError, windowStart, type CounterStoreV1 } from '@modelmesh/core'
import { expect } from 'vitest'
import { eventually, registerStoreSuite, rejectionOf, sleep, type StoreCheck, type StoreSuiteOptions } from './test-shared-store-helpers.js'

/** Optional parts of the counters suite: `pubsub` (subscribe/publish) and `peer` (a second instance). */
export type CounterStoreFeature = 'pubsub' | 'peer'
export type TestCounterStoreOptions = StoreSuiteOptions<CounterStoreV1, CounterStoreFeature>
export type CounterStoreCheck = StoreCheck<CounterStoreV1, CounterStoreFeature>

const MINUTE = 60_000

function pubsubOf(store: CounterStoreV1) {
  if (!store.subscribe || !store.publish) throw new Error('the store declares pub/sub support (not skipped) but has no subscribe/publish; add skip: { pubsub: "why" }')
  return { subscribe: store.subscribe.bind(store), publish: store.publish.bind(store) }
}

export const counterStoreChecks: readonly CounterStoreCheck[] = [
  {
    name: "declares specificationVersion 'mesh.store.v1', roles.counters 'mesh.counters.v1' and a descriptor",
    async run({ store }) {
      expect(store.specificationVersion).toBe('mesh.store.v1')
      expect(store.roles.counters).toBe('mesh.counters.v1')
      expect(typeof store.descriptor.package).toBe('string')
      expect(typeof store.descriptor.factory).toBe('string')
      expect(JSON.parse(JSON.stringify(store.descriptor.options ?? null))).toEqual(store.descriptor.options ?? null)
    },
  },
  {
    name: 'increments return the running total of the window; get reads it; negative amounts give back',
    async run({ store, unique }) {
      const key = unique('rpm')
      const now = Date.now()
      expect(await store.get(key, MINUTE, now)).toBe(0)
      expect(await store.increment(key, 1, MINUTE, now)).toBe(1)
      expect(await store.increment(key, 500, MINUTE, now)).toBe(501)
      expect(await store.increment(key, -200, MINUTE, now)).toBe(301)
      expect(await store.get(key, MINUTE, now)).toBe(301)
      expect(await store.get(key, MINUTE), 'now defaults to the clock').toBe(windowStart(Date.now(), MINUTE) === windowStart(now, MINUTE) ? 301 : 0)
    },
  },
  {
    name: '200 concurrent increments sum exactly and each sees a distinct total',
    timeoutMs: 30_000,
    async run({ store, unique }) {
      const key = unique('burst')
      const now = Date.now()
      const totals = await Promise.all(Array.from({ length: 200 }, () => store.increment(key, 1, MINUTE, now)))
      expect([...totals].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      expect(await store.get(key, MINUTE, now)).toBe(200)
    },
  },
  {
    name: 'fixed windows aligned to the epoch: a new window starts at zero, the previous one stays readable',
    async run({ store, unique }) {
      const key = unique('window')
      const start = windowStart(Date.now(), MINUTE)
      await store.increment(key, 5, MINUTE, start)
      expect(await store.increment(key, 1, MINUTE, start + MINUTE - 1), 'last millisecond of the window').toBe(6)
      expect(await store.increment(key, 1, MINUTE, start + MINUTE), 'first millisecond of the next').toBe(1)
      expect(await store.get(key, MINUTE, start + 30_000)).toBe(6)
      expect(await store.get(key, MINUTE, start + MINUTE + 30_000)).toBe(1)
      expect(await store.get(key, 1_000, start), 'another window size is another counter').toBe(0)
      await store.increment(key, 7, 1_000, start)
      expect(await store.get(key, MINUTE, start)).toBe(6)
    },
  },
  {
    name: 'refuses fractional amounts, empty keys and non-positive windows with a StoreError',
    async run({ store, unique }) {
      for (const [what, attempt] of [
        ['a fractional amount', () => store.increment(unique('k'), 0.5, MINUTE)],
        ['an empty key', () => store.increment('', 1, MINUTE)],
        ['a zero window', () => store.increment(unique('k'), 1, 0)],
        ['a zero TTL', () => store.setState(unique('k'), 'x', 0)],
      ] as const) {
        const error = await rejectionOf(attempt(), what)
        expect(StoreError.isInstance(error), `${what}: ${String(error)}`).toBe(true)
      }
    },
  },
  {
    name: 'synchronous twins (`local`, in-process stores only): the same counters, logs and refusals as the promise methods',
    async run({ store, unique }) {
      const local = store.local
      if (!local) return // a store that talks to a server has none; the promise methods are checked above
      const key = unique('tpm')
      const now = Date.now()
      expect(local.increment(key, 5, MINUTE, now)).toBe(5)
      expect(await store.increment(key, 2, MINUTE, now)).toBe(7)
      expect(local.get(key, MINUTE, now)).toBe(await store.get(key, MINUTE, now))
      expect(local.get(key, MINUTE, now - MINUTE), 'the previous window is another counter').toBe(0)
      if (local.hit && store.hit) {
        const log = unique('log')
        expect(local.hit(log, 2, MINUTE, now)).toMatchObject({ allowed: true, count: 1 })
        expect(await store.hit(log, 2, MINUTE, now + 1)).toMatchObject({ allowed: true, count: 2 })
        expect(local.hit(log, 2, MINUTE, now + 2)).toMatchObject({ allowed: false, count: 2, oldestAt: now })
      }
      for (const [what, attempt] of [
        ['a fractional amount', () => local.increment(unique('k'), 0.5, MINUTE)],
        ['an empty key', () => local.increment('', 1, MINUTE)],
        ['a zero window', () => local.get(unique('k'), 0)],
      ] as const) {
        let error: unknown
        try {
          attempt()
        } catch (thrown) {
          error = thrown
        }
        expect(StoreError.isInstance(error), `${what}: ${String(error)}`).toBe(true)
      }
    },
  },
  {
    name: 'shared state: set, overwrite, delete, and expiry after its TTL',
    async run({ store, unique }) {
      const key = unique('breaker')
      expect(await store.getState(key)).toBeUndefined()
      await store.setState(key, '{"state":"open"}', 10_000)
      expect(await store.getState(key)).toBe('{"state":"open"}')
      await store.setState(key, '{"state":"half-open"}', 10_000)
      expect(await store.getState(key)).toBe('{"state":"half-open"}')
      expect(await store.deleteState(key)).toBe(true)
      expect(await store.deleteState(key)).toBe(false)
      expect(await store.getState(key)).toBeUndefined()
      await store.setState(key, 'short', 200)
      expect(await store.getState(key)).toBe('short')
      await sleep(400)
      expect(await store.getState(key), 'expired after 200 ms').toBeUndefined()
    },
  },
  {
    name: 'pub/sub delivers to every subscriber in order, and not after unsubscribing',
    features: ['pubsub'],
    async run({ store, unique }) {
      const { subscribe, publish } = pubsubOf(store)
      const channel = unique('revocations')
      const first: string[] = []
      const second: string[] = []
      const stopFirst = await subscribe(channel, (m) => first.push(m))
      const stopSecond = await subscribe(channel, (m) => second.push(m))
      await publish(channel, 'key-1')
      await publish(channel, 'key-2')
      await publish(unique('elsewhere'), 'noise')
      expect(await eventually(() => first.length === 2 && second.length === 2), `delivered: ${JSON.stringify([first, second])}`).toBe(true)
      expect(first).toEqual(['key-1', 'key-2'])
      await stopFirst()
      await publish(channel, 'key-3')
      expect(await eventually(() => second.length === 3)).toBe(true)
      await sleep(50)
      expect(first, 'no delivery after unsubscribe').toEqual(['key-1', 'key-2'])
      await stopSecond()
    },
  },
  {
    name: 'a second instance shares counters and state',
    features: ['peer'],
    timeoutMs: 30_000,
    async run({ store, peer, unique }) {
      const key = unique('shared')
      const now = Date.now()
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? store : peer).increment(key, 2, MINUTE, now)))
      expect(await store.get(key, MINUTE, now)).toBe(200)
      expect(await peer.get(key, MINUTE, now)).toBe(200)
      await store.setState(key, 'open', 10_000)
      expect(await peer.getState(key)).toBe('open')
    },
  },
  {
    name: 'a revocation published on one instance reaches subscribers of another',
    features: ['pubsub', 'peer'],
    async run({ store, peer, unique }) {
      const channel = unique('revocations')
      const seen: string[] = []
      const stop = await pubsubOf(peer).subscribe(channel, (m) => seen.push(m))
      await pubsubOf(store).publish(channel, 'hash-of-revoked-key')
      expect(await eventually(() => seen.length === 1)).toBe(true)
      expect(seen).toEqual(['hash-of-revoked-key'])
      await stop()
    },
  },
]

/**
 * Registers the counter store conformance suite with vitest. One line for a connector author:
 *
 * @example
 * testCounterStore({ name: 'redis', create: () => redis({ prefix }), peer: () => redis({ prefix }) })
 *
 * Covers the contract literals and descriptor, windowed increments and reads, 200 concurrent
 * increments, window roll-over, input checks, shared state with real TTL expiry, pub/sub
 * delivery (skip with `skip: { pubsub: 'why' }`) and, with `peer`, sharing and fan-out between
 * two instances.
 */
export function testCounterStore(options: TestCounterStoreOptions): void {
  registerStoreSuite('counter store conformance', options, counterStoreChecks)
}
