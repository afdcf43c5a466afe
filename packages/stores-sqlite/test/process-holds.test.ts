import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { sqlite } from '../src/index.js'
import { readColumn, withAccountA } from './support/ledger-files.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-holds-').dbPath

const holdRows = (path: string) => readColumn(path, 'SELECT request_id FROM mesh_reservations')

/** Two process-local-holds stores on one file (as two processes), account `a` granted 1,000 µUSD. */
async function storeAndPeer(peerCheckMs?: number) {
  const path = tempPath()
  const store = await withAccountA(sqlite({ path, holds: 'process', peerCheckMs }))
  return { path, store, peer: sqlite({ path, holds: 'process' }) }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("sqlite holds: 'process'", () => {
  it('keeps holds in memory: nothing is written for them and no write lock is needed to reserve or release', async () => {
    const path = tempPath()
    const store = await withAccountA(sqlite({ path, holds: 'process' }))
    // Another connection holds the write lock for the whole check.
    const blocker = new Database(path)
    blocker.prepare('BEGIN IMMEDIATE').run()
    try {
      expect(await store.reserve('a', 'r1', 600, { keyId: 'k', now: 1_000 })).toMatchObject({ ok: true, created: true })
      expect(await store.reserve('a', 'r2', 401, { keyId: 'k', now: 1_000 })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 400 })
      expect(await store.reserve('a', 'r2', 300, { keyId: 'k', now: 1_000, caps: [{ scope: 'key', period: 'total', limitMicroUsd: 800 }] })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 600 })
      expect(await store.balance('a', 1_000)).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 600, availableMicroUsd: 400 })
      expect((await store.spend({ kind: 'key', id: 'k' }, 1_000)).reservedMicroUsd).toBe(600)
      expect((await store.reservations('a', 1_000)).map((r) => r.requestId)).toEqual(['r1'])
      expect(await store.release('a', 'r1')).toBe(false) // expired long ago by the real clock: gone, but was not active
      expect(await store.reservations('a', 1_000)).toEqual([])
    } finally {
      blocker.prepare('ROLLBACK').run()
      blocker.close()
    }
    expect(await store.reserve('a', 'r3', 700, { keyId: 'k' })).toMatchObject({ ok: true })
    expect((await store.settle('a', 'r3', 650)).created).toBe(true)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 350, reservedMicroUsd: 0, availableMicroUsd: 350 })
    expect(holdRows(path)).toEqual([])
    await store.close()
  })

  it("a batch that rolls back puts its holds back as they were (the settle's dropped hold, the reserve's new one)", async () => {
    const path = tempPath()
    // Without the debit journal the settle waits for its commit, and fails with it (debit-journal.test.ts: with it).
    const store = await withAccountA(sqlite({ path, holds: 'process', debitJournal: false }))
    await store.reserve('a', 'warm', 100, { keyId: 'k' })
    // The settle's spend write-back (just before COMMIT) fails: the whole batch rolls back.
    const raw = new Database(path)
    raw.exec("CREATE TRIGGER fail_spend BEFORE INSERT ON mesh_spend BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    // One tick: the settle (drops the hold in memory) and a reserve queued behind it (adds one) share the batch.
    const failed = await Promise.allSettled([store.settle('a', 'warm', 100), store.reserve('a', 'late', 200)])
    expect(failed.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 100, availableMicroUsd: 900 })
    expect((await store.reservations('a')).map((r) => r.requestId)).toEqual(['warm'])
    raw.exec('DROP TRIGGER fail_spend')
    raw.close()
    expect((await store.settle('a', 'warm', 100)).created).toBe(true)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 900, reservedMicroUsd: 0, availableMicroUsd: 900 })
    await store.close()
  })

  it('keeps the order of a tick: a reserve asked after a settle of the same request finds it settled', async () => {
    const store = await withAccountA(sqlite({ path: tempPath(), holds: 'process' }))
    await store.reserve('a', 'x', 100)
    const [settled, again] = await Promise.all([store.settle('a', 'x', 40), store.reserve('a', 'x', 100)])
    expect(settled.created).toBe(true)
    expect(again).toMatchObject({ ok: false, reason: 'already-settled', entry: { id: settled.entry.id } })
    await store.close()
  })

  it("sees another process's grants and debits (its holds stay its own); a request it settled is not billed twice", async () => {
    const { store, peer } = await storeAndPeer()
    expect(await store.reserve('a', 'r1', 800, { keyId: 'k' })).toMatchObject({ ok: true })
    expect(await store.reserve('a', 'r2', 201)).toMatchObject({ ok: false, availableMicroUsd: 200 })
    await peer.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 500 })
    expect(await store.reserve('a', 'r2', 700)).toMatchObject({ ok: true })
    expect(await store.reserve('a', 'r3', 1)).toMatchObject({ ok: false, availableMicroUsd: 0 })
    // The peer settles r1 (it cannot see the hold); the store's own settle of r1 then finds the debit.
    expect((await peer.settle('a', 'r1', 600)).created).toBe(true)
    const second = await store.settle('a', 'r1', 600)
    expect(second.created).toBe(false)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 900, reservedMicroUsd: 700, availableMicroUsd: 200 })
    expect((await store.entries('a')).filter((e) => e.kind === 'usage')).toHaveLength(1)
    await Promise.all([store.close(), peer.close()])
  })

  it("a fresh request id (the gateway's own) reserves the same way without a snapshot, and still sees another process's writes (peerCheckMs: 0)", async () => {
    const { store, peer } = await storeAndPeer(0)
    expect(await store.reserve('a', 'f1', 800, { keyId: 'k', fresh: true })).toMatchObject({ ok: true, created: true })
    expect(await store.reserve('a', 'f2', 201, { keyId: 'k', fresh: true })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 200 })
    expect(await store.reserve('a', 'f2', 100, { keyId: 'k', fresh: true, caps: [{ scope: 'key', period: 'day', limitMicroUsd: 850 }] })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 800 })
    // Another process's grant (a new data_version) reaches the cache of a fresh reserve.
    await peer.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 500 })
    expect(await store.reserve('a', 'f2', 700, { keyId: 'k', fresh: true })).toMatchObject({ ok: true, created: true })
    // The same id again (a bug in the caller): the hold is found, nothing is added.
    expect(await store.reserve('a', 'f2', 700, { keyId: 'k', fresh: true })).toMatchObject({ ok: true, created: false })
    // Without the hint the debit is looked up: a settled id is refused; with it, the store may skip the
    // look-up, but the settlement's unique index still refuses a second debit.
    expect((await store.settle('a', 'f1', 600)).created).toBe(true)
    expect(await store.reserve('a', 'f1', 1)).toMatchObject({ ok: false, reason: 'already-settled' })
    expect(await store.reserve('a', 'f1', 1, { fresh: true })).toMatchObject({ ok: true })
    expect((await store.settle('a', 'f1', 600)).created).toBe(false)
    expect((await store.entries('a')).filter((e) => e.kind === 'usage')).toHaveLength(1)
    await Promise.all([store.close(), peer.close()])
  })

  it("peerCheckMs: a fresh reserve sees another process's writes within that time; a reserve in a transaction, and this process's own writes, at once", async () => {
    // A minute: nothing below asks data_version for the passing of time.
    const { path, store, peer } = await storeAndPeer(60_000)
    expect(await store.reserve('a', 'f1', 800, { keyId: 'k', fresh: true })).toMatchObject({ ok: true })
    await peer.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 500 })
    // The cache was checked a moment ago: the peer's grant is not counted yet.
    expect(await store.reserve('a', 'f2', 201, { fresh: true })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 200 })
    // A reserve that is not fresh runs in a read transaction, where the check is free: it asks, and sees it.
    expect(await store.reserve('a', 'n1', 201)).toMatchObject({ ok: true, created: true })
    expect(await store.reserve('a', 'f3', 500, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 499 })
    // This process's own writes need no check: a settlement (its batch takes the write lock and asks), a grant.
    expect((await store.settle('a', 'f1', 100)).created).toBe(true)
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1 })
    expect(await store.reserve('a', 'f3', 1_200, { fresh: true })).toMatchObject({ ok: true })
    expect(await store.reserve('a', 'f4', 1, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 0 })
    // Another process's debit while the window runs: counted once the window has passed (or a transaction asks).
    await peer.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 10 })
    expect(await store.reserve('a', 'f4', 1, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 0 })
    // (Reads outside the batches read the tables.)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 1_411, reservedMicroUsd: 1_401, availableMicroUsd: 10 })
    await Promise.all([store.close(), peer.close()])

    // A short window: after it, the next fresh reserve asks.
    const short = sqlite({ path, holds: 'process', peerCheckMs: 20 })
    expect(await short.reserve('a', 'g1', 210, { fresh: true })).toMatchObject({ ok: true })
    const other = sqlite({ path, holds: 'process' })
    await other.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 90 })
    await sleep(40)
    expect(await short.reserve('a', 'g2', 1_291, { fresh: true })).toMatchObject({ ok: true, created: true })
    expect(await short.reserve('a', 'g3', 1, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 0 })
    await Promise.all([short.close(), other.close()])
  })

  it('refuses a peerCheckMs that is not a number of milliseconds from 0 to 60000', () => {
    for (const peerCheckMs of [-1, 60_001, Number.NaN, '5' as unknown as number]) expect(() => sqlite({ peerCheckMs })).toThrow(/peerCheckMs/)
  })

  it('refuses an unknown holds mode', () => {
    expect(() => sqlite({ holds: 'nowhere' as 'process' })).toThrow(/holds must be 'shared' or 'process'/)
  })
})
