import { describe, expect, it } from 'vitest'
import type { LedgerStoreV1 } from '../src/index.js'
import { KeyAuthority, UNKNOWN_KEYS_REMEMBERED } from '../src/billing/key-authority.js'
import { generateKey } from '../src/billing/keys.js'
import { memoryLedgerStore } from '../src/stores/memory-ledger.js'

/** A memory ledger with one account and one key, counting the key look-ups that reach it. */
async function setup() {
  const ledger = memoryLedgerStore()
  await ledger.putAccount({ id: 'acct', name: 'a', createdAt: 0 })
  const key = generateKey('test')
  await ledger.putKey({ id: 'key_1', hash: key.hash, prefix: key.prefix, accountId: 'acct', scopes: [], createdAt: 0 })
  let lookups = 0
  const counting: LedgerStoreV1 = new Proxy(ledger, {
    get(target, name, receiver) {
      if (name === 'findKeyByHash') return (hash: string) => (lookups++, target.findKeyByHash(hash))
      return Reflect.get(target, name, receiver)
    },
  })
  let now = 1_000
  const authority = new KeyAuthority(counting, undefined, 5_000, () => now)
  return { authority, plaintext: key.plaintext, lookups: () => lookups, advance: (ms: number) => (now += ms) }
}

const refused = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' })

describe('KeyAuthority cache', () => {
  it('remembers an unknown key for keyCacheTtl: the same wrong key is refused without another store lookup', async () => {
    const { authority, lookups, advance } = await setup()
    await refused(authority.authenticate('mk_test_not-a-key'))
    await refused(authority.authenticate('mk_test_not-a-key'))
    expect(lookups()).toBe(1)
    advance(5_000)
    await refused(authority.authenticate('mk_test_not-a-key'))
    expect(lookups()).toBe(2)
  })

  it(`keeps at most ${UNKNOWN_KEYS_REMEMBERED} unknown keys however many a client sends, and a known key stays cached`, async () => {
    const { authority, plaintext, lookups } = await setup()
    await authority.authenticate(plaintext)
    expect(lookups()).toBe(1)
    const sent = UNKNOWN_KEYS_REMEMBERED * 2 + 500
    for (let i = 0; i < sent; i++) await refused(authority.authenticate(`mk_test_random_${i}`))
    expect(authority.cached).toEqual({ known: 1, unknown: UNKNOWN_KEYS_REMEMBERED })
    expect(lookups()).toBe(1 + sent)
    // The oldest unknown keys were forgotten (looked up again), the newest are still remembered.
    await refused(authority.authenticate('mk_test_random_0'))
    expect(lookups()).toBe(2 + sent)
    await refused(authority.authenticate(`mk_test_random_${sent - 1}`))
    expect(lookups()).toBe(2 + sent)
    // The real key never left the cache.
    expect((await authority.authenticate(plaintext)).key.id).toBe('key_1')
    expect(lookups()).toBe(2 + sent)
  })

  it('forgets an unknown key when told it changed (a key created with that hash is accepted at once)', async () => {
    const ledger = memoryLedgerStore()
    await ledger.putAccount({ id: 'acct', name: 'a', createdAt: 0 })
    const authority = new KeyAuthority(ledger, undefined, 5_000, () => 1_000)
    const key = generateKey('test')
    await refused(authority.authenticate(key.plaintext))
    await ledger.putKey({ id: 'key_new', hash: key.hash, prefix: key.prefix, accountId: 'acct', scopes: [], createdAt: 0 })
    await refused(authority.authenticate(key.plaintext))
    await authority.changed(key.hash)
    expect((await authority.authenticate(key.plaintext)).key.id).toBe('key_new')
    expect(authority.cached).toEqual({ known: 1, unknown: 0 })
  })
})
