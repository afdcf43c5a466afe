import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { openConnection } from '../src/connection.js'
import { sqliteLedgerMoney } from '../src/ledger-money.js'
import { sqliteLedgerRecords } from '../src/ledger-records.js'
import { sqlite } from '../src/index.js'
import { storedUsage } from './support/ledger-files.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-worker-debits-').dbPath
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Waits (at most ~3 s, in 10 ms steps) until `done()` is true. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !done(); i++) await sleep(10)
  if (!done()) throw new Error(`timed out waiting until ${what}`)
}

/**
 * A connection whose checkpoint worker runs from the start, with the money and records of a store on
 * it (process-local holds, journal on). `peerCheckMs` a minute: no reserve outside a transaction asks
 * `data_version` for the passing of time, only because the worker's commit sequence moved — the
 * worker's commits must be counted exactly by that alone.
 */
async function workerStore(commitDelayMs = 20, credits = 1_000, inWorker = true) {
  const path = tempPath()
  const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0, commitDelayMs }, 'test')
  const records = sqliteLedgerRecords(connection)
  const money = sqliteLedgerMoney(connection, 'process', { path, keep: true, commitDelayMs, inWorker }, 60_000)
  await records.putAccount({ id: 'a', createdAt: 0 })
  await money.append({ accountId: 'a', kind: 'grant', amountMicroUsd: credits })
  const worker = connection.checkpointer!
  expect(worker.running).toBe(true)
  // The main connection counts its own statements: the worker's are not among them.
  const mainChanges = () => connection.prepare('SELECT total_changes()').pluck().get() as number
  const close = async () => {
    await money.closeJournal()
    await connection.close()
  }
  return { path, connection, money, worker, mainChanges, close }
}

describe('sqlite: journaled debits committed by the checkpoint worker (debitsInWorker)', () => {
  it('commits them off the main thread, and the cache counts each exactly once before, during and after', async () => {
    const { path, money, worker, mainChanges, close } = await workerStore()
    const before = mainChanges()
    const writes = worker.rowWrites
    await money.reserve('a', 'r1', 300, { keyId: 'k', fresh: true })
    expect(await money.settle('a', 'r1', 250)).toMatchObject({ created: true, entry: { amountMicroUsd: -250 } })
    const cap = [{ cap: { scope: 'key' as const, period: 'day' as const, limitMicroUsd: 300 }, scopeId: 'k' }]
    const caps = cap.map(({ cap }) => cap)
    // Not committed yet: the cache counts the journaled debit.
    expect(storedUsage(path)).toEqual([])
    expect(await money.reserve('a', 'x1', 751, { fresh: true })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 750 })
    expect(await money.reserve('a', 'x2', 51, { fresh: true, keyId: 'k', caps })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 250 })
    // Committed by the worker: the main connection wrote none of it. (`rowWrites` counts the
    // worker's answer, which this thread reads a little after the commit is visible in the file.)
    await until(() => storedUsage(path).length === 1, 'the worker commits r1')
    await until(() => worker.rowWrites > writes, 'the worker answers for r1')
    expect(worker.rowWrites).toBe(writes + 1)
    expect(mainChanges()).toBe(before)
    // The next batches read the tables again (another connection committed) and drop r1 from
    // the overlay: still counted once.
    expect(await money.reserve('a', 'x3', 751, { fresh: true })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 750 })
    expect(await money.reserve('a', 'x4', 51, { fresh: true, keyId: 'k', caps })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 250 })
    expect(await money.reserve('a', 'x5', 50, { fresh: true, keyId: 'k', caps })).toMatchObject({ ok: true })
    expect(await money.release('a', 'x5')).toBe(true)
    // Settlements of one tick (the y* of nothing): four are journaled (the worker commits them),
    // the fifth joins this thread's next batch.
    const tick: Record<string, number> = { r2: 10, r3: 20, y1: 0, y2: 0, y3: 0 }
    for (const id of Object.keys(tick)) await money.reserve('a', id, 100, { fresh: true })
    const settled = await Promise.all(Object.entries(tick).map(([id, amount]) => money.settle('a', id, amount)))
    expect(settled.map((r) => r.created)).toEqual([true, true, true, true, true])
    const mainWrites = mainChanges()
    expect(mainWrites).toBeGreaterThan(before)
    // A second settle of a journaled request finds it (not stored yet): one debit.
    expect(await money.settle('a', 'r3', 20)).toMatchObject({ created: false, entry: { requestId: 'r3', amountMicroUsd: -20 } })
    expect(await money.reserve('a', 'r3', 1)).toMatchObject({ ok: false, reason: 'already-settled' })
    expect(await money.balance('a')).toEqual({ balanceMicroUsd: 720, reservedMicroUsd: 0, availableMicroUsd: 720 })
    expect(storedUsage(path).sort()).toEqual(['r1', 'r2', 'r3', 'y1', 'y2', 'y3'])
    expect(mainChanges()).toBe(mainWrites)
    expect(await money.spend({ kind: 'key', id: 'k' })).toMatchObject({ dayMicroUsd: 250, totalMicroUsd: 250 })
    expect(await money.spend({ kind: 'account', id: 'a' })).toMatchObject({ totalMicroUsd: 280 })
    await close()
  })

  it('a transaction the worker fails: its debits and every later ticket sent meanwhile are written by the main thread, once; then the worker takes them again', async () => {
    const { path, money, worker, close } = await workerStore(0)
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const raw = new Database(path)
    raw.exec("CREATE TRIGGER fail_bad BEFORE INSERT ON mesh_entries WHEN NEW.request_id = 'bad' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    const writes = worker.rowWrites
    await money.reserve('a', 'bad', 100, { fresh: true })
    await money.reserve('a', 'good', 100, { fresh: true })
    // Two tickets (commitDelayMs 0: one per timer turn); the first fails in the worker.
    expect((await money.settle('a', 'bad', 60)).created).toBe(true)
    await sleep(5)
    expect((await money.settle('a', 'good', 30)).created).toBe(true)
    // `good` is refused by the worker (after a failure, until every ticket out is answered) and
    // stored by the main thread; `bad` fails there too, and waits for its retry.
    await until(() => storedUsage(path).includes('good'), 'the main thread stores good')
    expect(worker.rowWrites).toBe(writes)
    // Both counted once meanwhile (900 − 60 − 30).
    expect(await money.reserve('a', 'x1', 911, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 910 })
    raw.exec('DROP TRIGGER fail_bad')
    raw.close()
    // The retry (a second after the failure) stores `bad`; the read waits for it.
    expect(await money.balance('a')).toEqual({ balanceMicroUsd: 910, reservedMicroUsd: 0, availableMicroUsd: 910 })
    expect(storedUsage(path).sort()).toEqual(['bad', 'good'])
    expect(await money.reserve('a', 'x2', 911, { fresh: true })).toMatchObject({ ok: false, availableMicroUsd: 910 })
    // Resumed: the next debit is the worker's again.
    await money.reserve('a', 'next', 100, { fresh: true })
    await money.settle('a', 'next', 10)
    expect((await money.balance('a')).balanceMicroUsd).toBe(900)
    expect(worker.rowWrites).toBe(writes + 1)
    // Said once (the refused ticket is not a second failure).
    process.off('warning', onWarning)
    expect(warnings.filter((w) => /background worker could not commit/.test(w.message)).map((w) => w.message)).toEqual([expect.stringMatching(/disk trouble/)])
    await close()
  })

  it('a debit of a request another process stored meanwhile is skipped whole by the worker (entry, balance, spend)', async () => {
    const { path, money, worker, close } = await workerStore(200)
    const writes = worker.rowWrites
    const peer = sqlite({ path, holds: 'process', debitJournal: false })
    await money.reserve('a', 'r1', 100, { fresh: true, keyId: 'k' })
    // The fresh hint broken: no look-up, so this one is journaled while the peer's is stored.
    expect((await peer.settle('a', 'r1', 70, { keyId: 'k' })).created).toBe(true)
    expect((await money.settle('a', 'r1', 70)).created).toBe(true)
    expect(await money.balance('a')).toMatchObject({ balanceMicroUsd: 930, reservedMicroUsd: 0 })
    expect(await money.spend({ kind: 'key', id: 'k' })).toMatchObject({ totalMicroUsd: 70 })
    expect(storedUsage(path)).toEqual(['r1'])
    expect(worker.rowWrites).toBe(writes + 1)
    await Promise.all([close(), peer.close()])
  })

  it('stays exact under a stream of reserves and settlements interleaved with the worker commits', async () => {
    const credits = 20_000
    const { path, money, worker, close } = await workerStore(3, credits)
    const writes = worker.rowWrites
    // A deterministic mix: reserve, then settle later (in another turn), checks of exactly what
    // is available in between — one micro-dollar more must be refused.
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % n
    }
    let settled = 0
    const open = new Map<string, number>()
    for (let i = 0; i < 150; i++) {
      const id = `q${i}`
      const amount = 20 + random(80)
      expect((await money.reserve('a', id, amount, { fresh: true, keyId: 'k' })).ok).toBe(true)
      open.set(id, amount)
      if (open.size > 3 || random(2) === 0) {
        const [first, held] = open.entries().next().value as [string, number]
        open.delete(first)
        const actual = random(held + 1)
        await money.settle('a', first, actual)
        settled += actual
      }
      if (random(3) === 0) await sleep(random(6))
      const heldNow = [...open.values()].reduce((sum, amount) => sum + amount, 0)
      const available = credits - settled - heldNow
      expect(await money.reserve('a', `probe${i}`, available + 1, { fresh: true }), `step ${i}`).toMatchObject({ ok: false, availableMicroUsd: available })
    }
    for (const [id] of open) await money.release('a', id)
    expect(await money.balance('a')).toEqual({ balanceMicroUsd: credits - settled, reservedMicroUsd: 0, availableMicroUsd: credits - settled })
    expect(await money.spend({ kind: 'key', id: 'k' })).toMatchObject({ totalMicroUsd: settled })
    expect(worker.rowWrites).toBeGreaterThan(writes + 5)
    const stored = storedUsage(path)
    expect(new Set(stored).size).toBe(stored.length)
    await close()
  })

  it('a batch without the gate that read the tables while a ticket became visible is undone and run again', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0 }, 'test')
    connection.prepare('SELECT 1').get()
    const worker = connection.checkpointer!
    const events: string[] = []
    let read = false
    connection.setBatchHooks({
      begin: () => {
        events.push('begin')
        read = false
      },
      beforeCommit: () => {},
      aborted: () => events.push('aborted'),
      committed: () => events.push('committed'),
      readTables: () => read,
    })
    const ticketDone: string[] = []
    const send = (key: string) =>
      connection.writeInWorker({ insert: "INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, 'v', 1, 0)", sums: [], items: [{ params: [key], adds: [] }] }, (error) => ticketDone.push(error ? 'failed' : key))
    /**
     * An inert operation whose first run lets the worker commit `ticket` and waits (synchronously:
     * the worker is another thread) until it has: the test holds the worker's gate from before the
     * ticket is sent, so the commit cannot happen before the batch runs (on a loaded machine it
     * otherwise could, and there would be nothing to undo), and the wait ends once the sequence is
     * even again (odd while the worker's COMMIT runs).
     */
    const inert = (readsTables: boolean, ticket: number) => {
      let runs = 0
      return connection
        .batched(
          () => {
            runs++
            read = readsTables
            if (runs === 1) {
              const seq = worker.commitSeq
              worker.leaveBatch()
              const until = Date.now() + 10_000
              while ((worker.committedTicket < ticket || (worker.commitSeq & 1) === 1) && Date.now() < until) {
                // the worker commits meanwhile
              }
              expect(worker.committedTicket).toBe(ticket)
              expect(worker.commitSeq).toBe(seq + 2)
            }
            return runs
          },
          { durability: 'none', savepoint: false, snapshot: false },
        )
        .then(() => runs)
    }
    expect(worker.enterBatch()).toBe(true)
    expect(send('k1')).toBe(1)
    expect(await inert(true, 1)).toBe(2)
    expect(events).toEqual(['begin', 'aborted', 'begin', 'committed'])
    // Only memory read: nothing to undo.
    events.length = 0
    expect(worker.enterBatch()).toBe(true)
    expect(send('k2')).toBe(2)
    expect(await inert(false, 2)).toBe(1)
    expect(events).toEqual(['begin', 'committed'])
    await until(() => ticketDone.length === 2, 'both tickets are answered')
    expect(ticketDone).toEqual(['k1', 'k2'])
    expect(connection.workerCommitted).toBe(2)
    await connection.close()
  })

  it('is off by default: the main thread commits journaled debits even while the worker runs', async () => {
    const { path, money, worker, mainChanges, close } = await workerStore(0, 1_000, false)
    const before = mainChanges()
    const writes = worker.rowWrites
    await money.reserve('a', 'r1', 100, { fresh: true })
    expect((await money.settle('a', 'r1', 40)).created).toBe(true)
    expect((await money.balance('a')).balanceMicroUsd).toBe(960)
    expect(storedUsage(path)).toEqual(['r1'])
    expect(worker.rowWrites).toBe(writes)
    expect(mainChanges()).toBeGreaterThan(before)
    await close()
  })

  it('refuses a workerStartBytes that is not a number of bytes', () => {
    for (const workerStartBytes of [-1, Number.NaN, '0' as unknown as number]) {
      expect(() => sqlite({ workerStartBytes })).toThrow(/workerStartBytes/)
    }
  })
})
