import { StoreError, type StateStoreV1 } from '@modelmesh/core'
import { expect } from 'vitest'
import { registerStoreSuite, rejectionOf, sleep, type StoreCheck, type StoreSuiteOptions } from './test-shared-store-helpers.js'

/** Optional parts of the state suite: `peer` (a second instance over the same data). */
export type StateStoreFeature = 'peer'
export type TestStateStoreOptions = StoreSuiteOptions<StateStoreV1, StateStoreFeature>
export type StateStoreCheck = StoreCheck<StateStoreV1, StateStoreFeature>

export const stateStoreChecks: readonly StateStoreCheck[] = [
  {
    name: "declares specificationVersion 'mesh.store.v1', roles.state 'mesh.state.v1' and a descriptor",
    async run({ store }) {
      expect(store.specificationVersion).toBe('mesh.store.v1')
      expect(store.roles.state).toBe('mesh.state.v1')
      expect(typeof store.descriptor.package).toBe('string')
      expect(typeof store.descriptor.factory).toBe('string')
      expect(JSON.parse(JSON.stringify(store.descriptor.options ?? null))).toEqual(store.descriptor.options ?? null)
    },
  },
  {
    name: 'saves, loads, overwrites, stats and deletes a value',
    async run({ store, unique }) {
      const key = `${unique('state')}/a.json`
      expect(await store.load(key)).toBeUndefined()
      expect(await store.exists(key)).toBe(false)
      expect(await store.stat(key)).toBeUndefined()
      const before = Date.now()
      await store.save(key, '{"v":1}')
      expect(await store.load(key)).toBe('{"v":1}')
      expect(await store.exists(key)).toBe(true)
      await store.save(key, '{"v":"é"}')
      expect(await store.load(key)).toBe('{"v":"é"}')
      const stat = await store.stat(key)
      expect(stat?.size, 'stat.size is the UTF-8 byte length').toBe(10)
      expect(stat?.updatedAt).toBeGreaterThanOrEqual(before - 1_000)
      expect(stat?.updatedAt).toBeLessThanOrEqual(Date.now() + 1_000)
      expect(await store.delete(key)).toBe(true)
      expect(await store.delete(key)).toBe(false)
      expect(await store.load(key)).toBeUndefined()
    },
  },
  {
    name: 'keeps large and non-ASCII values byte for byte (1 MB, emoji, NUL, newlines)',
    async run({ store, unique }) {
      const key = unique('big')
      const value = JSON.stringify({ text: 'x'.repeat(1_000_000), emoji: '🧪✓', nul: 'a\u0000b', lines: 'a\r\nb' })
      await store.save(key, value)
      expect(await store.load(key)).toBe(value)
      await store.save(`${key}/empty`, '')
      expect(await store.load(`${key}/empty`)).toBe('')
      expect((await store.stat(`${key}/empty`))?.size).toBe(0)
    },
  },
  {
    name: 'lists keys by prefix, sorted, treating % _ * ? [ as plain characters',
    async run({ store, unique }) {
      const ns = unique('list')
      const keys = [`${ns}/b/2`, `${ns}/a/1`, `${ns}/a/10`, `${ns}/a_x`, `${ns}/a%y`, `${ns}/A/1`, `${ns}/[a]*?`]
      for (const key of keys) await store.save(key, '1')
      expect(await store.list(`${ns}/`)).toEqual([...keys].sort())
      expect(await store.list(`${ns}/a/`)).toEqual([`${ns}/a/1`, `${ns}/a/10`])
      expect(await store.list(`${ns}/a_`), '_ is not a wildcard').toEqual([`${ns}/a_x`])
      expect(await store.list(`${ns}/a%`), '% is not a wildcard').toEqual([`${ns}/a%y`])
      expect(await store.list(`${ns}/[a]`), '[ ] are not a character class').toEqual([`${ns}/[a]*?`])
      expect(await store.list(`${ns}/a`), 'prefixes are case-sensitive').not.toContain(`${ns}/A/1`)
      expect(await store.list('')).toEqual(expect.arrayContaining(keys))
      expect(await store.list(`${ns}/zzz`)).toEqual([])
    },
  },
  {
    name: 'refuses empty keys and non-string values with a StoreError',
    async run({ store }) {
      const error = await rejectionOf(store.save('', 'x'), "save('')")
      expect(StoreError.isInstance(error), String(error)).toBe(true)
      const notText = await rejectionOf(store.save('k', 42 as unknown as string), 'save(number)')
      expect(StoreError.isInstance(notText), String(notText)).toBe(true)
    },
  },
  {
    name: 'locks: a held lock refuses other owners; the holder re-acquires; only the owner releases',
    async run({ store, unique }) {
      const lock = unique('lock')
      expect(await store.isLocked(lock)).toBe(false)
      expect(await store.acquireLock(lock, 'a', 10_000)).toBe(true)
      expect(await store.isLocked(lock)).toBe(true)
      expect(await store.acquireLock(lock, 'b', 10_000)).toBe(false)
      expect(await store.acquireLock(lock, 'a', 10_000), 're-acquire by the holder').toBe(true)
      expect(await store.releaseLock(lock, 'b'), 'release by a non-owner').toBe(false)
      expect(await store.isLocked(lock)).toBe(true)
      expect(await store.releaseLock(lock, 'a')).toBe(true)
      expect(await store.isLocked(lock)).toBe(false)
      expect(await store.releaseLock(lock, 'a'), 'second release').toBe(false)
      expect(await store.acquireLock(lock, 'b', 10_000)).toBe(true)
      await store.releaseLock(lock, 'b')
    },
  },
  {
    name: 'locks expire after their TTL, and re-acquiring restarts the TTL',
    async run({ store, unique }) {
      const lock = unique('ttl')
      expect(await store.acquireLock(lock, 'a', 500)).toBe(true)
      await sleep(300)
      expect(await store.acquireLock(lock, 'a', 500), 'refresh before expiry').toBe(true)
      await sleep(300)
      expect(await store.acquireLock(lock, 'b', 500), 'the refreshed TTL still runs').toBe(false)
      await sleep(400)
      expect(await store.isLocked(lock)).toBe(false)
      expect(await store.releaseLock(lock, 'a'), 'an expired lock is not released by its old owner').toBe(false)
      expect(await store.acquireLock(lock, 'b', 500), 'another owner takes an expired lock').toBe(true)
    },
  },
  {
    name: 'locks: of 25 owners racing for one lock exactly one wins',
    async run({ store, unique }) {
      const lock = unique('race')
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.acquireLock(lock, `owner-${i}`, 10_000)))
      expect(results.filter(Boolean)).toHaveLength(1)
    },
  },
  {
    name: 'a second instance sees values and locks of the first',
    features: ['peer'],
    async run({ store, peer, unique }) {
      const key = unique('shared')
      await store.save(key, 'from A')
      expect(await peer.load(key)).toBe('from A')
      expect(await peer.list(key)).toEqual([key])
      expect(await store.acquireLock(key, 'A', 10_000)).toBe(true)
      expect(await peer.acquireLock(key, 'B', 10_000)).toBe(false)
      const racers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : peer).acquireLock(`${key}/race`, `o${i}`, 10_000)))
      expect(racers.filter(Boolean)).toHaveLength(1)
    },
  },
]

/**
 * Registers the state store conformance suite with vitest. One line for a connector author:
 *
 * @example
 * testStateStore({ name: 'sqlite', create: () => sqlite({ path: tmpFile }), peer: () => sqlite({ path: tmpFile }) })
 *
 * Covers the contract literals and descriptor, CRUD, byte-exact values, listing by prefix (with
 * SQL wildcard characters in keys), locks (conflicts, owner-only release, real TTL expiry with
 * short TTLs, a race between 25 owners) and, with `peer`, sharing between two instances.
 */
export function testStateStore(options: TestStateStoreOptions): void {
  registerStoreSuite('state store conformance', options, stateStoreChecks)
}
