// The in-memory reservation holds shared by the memory ledger and the SQLite store (`Holds`): sums,
// expiries and listings per scope as holds come and go, including the keeper entry that keeps the
// maps from emptying (no V8 table reallocated per request) and the pruning of empty scopes.
import { describe, expect, it } from 'vitest'
import type { Reservation } from '../../src/contracts/ledger-store.js'
import { Holds, KEEPER_ID, scopeKey } from '../../src/stores/holds.js'

const hold = (requestId: string, amountMicroUsd: number, expiresAt: number, extra: Partial<Reservation> = {}): Reservation => ({ requestId, accountId: 'acct', amountMicroUsd, createdAt: expiresAt - 1000, expiresAt, ...extra })
const account = scopeKey('account', 'acct')
const key = scopeKey('key', 'k1')

describe('Holds', () => {
  it('sums what each scope holds as holds come and go, and nothing once they are gone', () => {
    const holds = new Holds()
    const a = hold('r1', 300, 10_000, { keyId: 'k1' })
    const b = hold('r2', 200, 20_000)
    holds.add(a)
    holds.add(b)
    expect(holds.heldIn(account, 0)).toBe(500)
    expect(holds.heldIn(key, 0)).toBe(300)
    expect(holds.byRequest.get('r1')).toBe(a)
    holds.remove(a)
    expect(holds.heldIn(account, 0)).toBe(200)
    expect(holds.heldIn(key, 0)).toBe(0)
    expect(holds.byRequest.get('r1')).toBeUndefined()
    holds.remove(b)
    holds.remove(b) // twice: nothing changes
    expect(holds.heldIn(account, 0)).toBe(0)
    expect(holds.activeIn(account, 0)).toEqual([])
    expect(holds.expiredIn(account, 1e12)).toEqual([])
    expect(holds.heldIn(scopeKey('account', 'never'), 0)).toBe(0)
  })

  it('counts only unexpired holds, and lists active ones oldest first and expired ones, never the keeper', () => {
    const holds = new Holds()
    const early = hold('early', 100, 5_000)
    const late = hold('late', 50, 9_000)
    holds.add(late)
    holds.add(early)
    expect(holds.heldIn(account, 4_999)).toBe(150)
    expect(holds.heldIn(account, 5_000)).toBe(50)
    expect(holds.activeIn(account, 0).map((h) => h.requestId)).toEqual(['early', 'late'])
    expect(holds.activeIn(account, 6_000).map((h) => h.requestId)).toEqual(['late'])
    expect(holds.expiredIn(account, 6_000)).toEqual([early])
    holds.remove(early)
    holds.remove(late)
    // An emptied scope is kept, holding nothing and with no expiry pending; it is reused by the next hold.
    expect(holds.scopeCount).toBe(1)
    expect(holds.heldIn(account, 0)).toBe(0)
    holds.add(hold('again', 7, 3_000))
    expect(holds.scopeCount).toBe(1)
    expect(holds.heldIn(account, 2_999)).toBe(7)
    expect(holds.heldIn(account, 3_000)).toBe(0)
  })

  it('keeps a hold of the reserved id out, and ignores a removal of it', () => {
    const holds = new Holds()
    expect(() => holds.add(hold(KEEPER_ID, 1, 1))).toThrow(/reserved request id/)
    holds.remove(hold(KEEPER_ID, 1, 1))
    expect(holds.byRequest.has(KEEPER_ID)).toBe(true)
    expect(KEEPER_ID).toContain('\u0000')
  })

  it('prunes scopes without holds once there are 4,096 scopes, and keeps those with holds', () => {
    const holds = new Holds()
    const live = hold('live', 5, 1e12, { accountId: 'busy' })
    holds.add(live)
    for (let i = 0; i < 4095; i++) {
      const h = hold(`r${i}`, 1, 1e12, { accountId: `a${i}` })
      holds.add(h)
      holds.remove(h)
    }
    expect(holds.scopeCount).toBe(4096)
    holds.add(hold('next', 2, 1e12, { accountId: 'new' }))
    expect(holds.scopeCount).toBe(2)
    expect(holds.heldIn(scopeKey('account', 'busy'), 0)).toBe(5)
    expect(holds.heldIn(scopeKey('account', 'new'), 0)).toBe(2)
  })

  it('with 4,096 scopes that all hold something, does not pass over them again for every new scope', () => {
    const holds = new Holds()
    for (let i = 0; i < 4096; i++) holds.add(hold(`live${i}`, 1, 1e12, { accountId: `busy${i}` }))
    // The pass at the 4,097th scope finds nothing to drop; the next one waits for twice as many scopes,
    // so the empty scopes of these short requests stay until then.
    for (let i = 0; i < 100; i++) {
      const h = hold(`short${i}`, 1, 1e12, { accountId: `short${i}` })
      holds.add(h)
      holds.remove(h)
    }
    expect(holds.scopeCount).toBe(4196)
    expect(holds.heldIn(scopeKey('account', 'busy4095'), 0)).toBe(1)
  })
})
