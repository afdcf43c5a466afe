import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { DebitJournal } from '../src/debit-journal.js'
import { sqlite } from '../src/index.js'
import { storedUsage, withAccountA } from './support/ledger-files.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-journal-').dbPath
const journalsOf = (path: string) => readdirSync(dirname(path)).filter((name) => name.startsWith('mesh.db-debits-'))
const journalLines = (path: string) =>
  journalsOf(path).flatMap((name) =>
    readFileSync(join(dirname(path), name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { requestId: string }),
  )
async function journaledStore() {
  const path = tempPath()
  return { path, store: await withAccountA(sqlite({ path, holds: 'process' })) }
}

describe('sqlite debit journal (holds: process)', () => {
  it('acknowledges a lone settlement once journaled; its commit follows, and this store reads it at once', async () => {
    const { path, store } = await journaledStore()
    await store.reserve('a', 'r1', 300, { keyId: 'k', fresh: true })
    const settled = await store.settle('a', 'r1', 250)
    expect(settled).toMatchObject({ created: true, entry: { kind: 'usage', amountMicroUsd: -250, requestId: 'r1', keyId: 'k' } })
    // Acknowledged before the commit: the debit is in the journal, not yet in the table.
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1'])
    expect(storedUsage(path)).toEqual([])
    // Reads of the store wait for it.
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 750, reservedMicroUsd: 0, availableMicroUsd: 750 })
    expect(await store.spend({ kind: 'key', id: 'k' })).toMatchObject({ dayMicroUsd: 250, reservedMicroUsd: 0 })
    expect(storedUsage(path)).toEqual(['r1'])
    // Settling again finds the debit: nothing new.
    expect((await store.settle('a', 'r1', 250)).created).toBe(false)
    await store.close()
    // Everything in it was committed: the journal is removed on close.
    expect(journalsOf(path)).toEqual([])
  })

  it('journals up to four settlements of one turn; the others share the next batch, whose commit takes the journaled ones too', async () => {
    const { path, store } = await journaledStore()
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']
    for (const id of ids) await store.reserve('a', id, 100)
    const all = Promise.all(ids.map((id, i) => store.settle('a', id, 10 * (i + 1))))
    // Four written before settle returned (one write each); the fifth and sixth wait for a commit.
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3', 'r4'])
    expect(storedUsage(path)).toEqual([])
    expect((await all).map((r) => r.created)).toEqual([true, true, true, true, true, true])
    expect(storedUsage(path)).toEqual(ids)
    expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 790, reservedMicroUsd: 0 })
    // After a turn with more than four (saturation), a turn journals only its first settlement...
    const turn = async (pair: string[]) => {
      await new Promise((resolve) => setImmediate(resolve))
      for (const id of pair) await store.reserve('a', id, 100)
      return (await Promise.all(pair.map((id) => store.settle('a', id, 5)))).map((r) => r.created)
    }
    expect(await turn(['r7', 'r8'])).toEqual([true, true])
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3', 'r4', 'r7'])
    expect(storedUsage(path)).toEqual([...ids, 'r7', 'r8'])
    // ...and after a quieter one, up to four again.
    expect(await turn(['r9', 'r10'])).toEqual([true, true])
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3', 'r4', 'r7', 'r9', 'r10'])
    expect(storedUsage(path)).toEqual([...ids, 'r7', 'r8'])
    await store.close()
    expect(storedUsage(path)).toEqual([...ids, 'r7', 'r8', 'r9', 'r10'])
  })

  it('a request settled twice in one turn is debited once', async () => {
    const { path, store } = await journaledStore()
    await store.reserve('a', 'r1', 100)
    const twice = await Promise.all([store.settle('a', 'r1', 30), store.settle('a', 'r1', 30)])
    expect(twice.map((r) => r.created)).toEqual([true, false])
    expect(twice[1]!.entry.id).toBe(twice[0]!.entry.id)
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1'])
    expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 970, reservedMicroUsd: 0 })
    expect(storedUsage(path)).toEqual(['r1'])
    await store.close()
  })

  it('lone settlements of separate turns of the event loop are all journaled and share one commit after commitDelayMs', async () => {
    const path = tempPath()
    const store = await withAccountA(sqlite({ path, holds: 'process', commitDelayMs: 200 }))
    const tick = () => new Promise((resolve) => setImmediate(resolve))
    for (const id of ['r1', 'r2', 'r3']) {
      await store.reserve('a', id, 100, { keyId: 'k', fresh: true })
      expect((await store.settle('a', id, 40)).created).toBe(true)
      await tick()
    }
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3'])
    // Not committed yet (the batch waits for company)...
    expect(storedUsage(path)).toEqual([])
    // ...yet this process sees them settled: the holds are gone, balance and spend count the debits.
    expect(await store.reserve('a', 'r4', 881, { fresh: true })).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 880 })
    expect(await store.reserve('a', 'r4', 100, { fresh: true, caps: [{ scope: 'key', period: 'day', limitMicroUsd: 200 }], keyId: 'k' })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 120 })
    expect(await store.reserve('a', 'r2', 1)).toMatchObject({ ok: false, reason: 'already-settled', entry: { requestId: 'r2', amountMicroUsd: -40 } })
    expect((await store.settle('a', 'r2', 40)).created).toBe(false)
    expect(storedUsage(path)).toEqual(['r1', 'r2', 'r3'])
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 880, reservedMicroUsd: 0, availableMicroUsd: 880 })
    await store.close()
  })

  it('commits journaled settlements after commitDelayMs, with the next other write, at the 64th, or on close', async () => {
    const path = tempPath()
    const store = await withAccountA(sqlite({ path, holds: 'process', commitDelayMs: 50 }), 1_000_000)
    const tick = () => new Promise((resolve) => setImmediate(resolve))
    const settleAlone = async (id: string) => {
      await store.reserve('a', id, 100, { fresh: true })
      await store.settle('a', id, 40)
      await tick()
    }
    // Alone: after the delay.
    await settleAlone('r1')
    expect(storedUsage(path)).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(storedUsage(path)).toEqual(['r1'])
    // With the next other write (a grant, not delayed): in its commit.
    await settleAlone('r2')
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1 })
    expect(storedUsage(path)).toEqual(['r1', 'r2'])
    await store.close()

    // 64 waiting: committed in the next tick, whatever the delay.
    const patient = await withAccountA(sqlite({ path, holds: 'process', commitDelayMs: 1_000 }), 1_000_000)
    const ids = Array.from({ length: 64 }, (_, i) => `m${i}`)
    for (const id of ids.slice(0, 63)) {
      await patient.reserve('a', id, 100, { fresh: true })
      await patient.settle('a', id, 40)
      await tick()
    }
    expect(storedUsage(path)).toHaveLength(2)
    await patient.reserve('a', 'm63', 100, { fresh: true })
    await patient.settle('a', 'm63', 40)
    await tick()
    await tick()
    expect(storedUsage(path)).toEqual(['r1', 'r2', ...ids])
    // On close.
    await patient.reserve('a', 'last', 100, { fresh: true })
    await patient.settle('a', 'last', 40)
    expect(storedUsage(path)).toHaveLength(66)
    await patient.close()
    expect(storedUsage(path)).toHaveLength(67)
    expect(journalsOf(path)).toEqual([])
  })

  it('refuses a commitDelayMs that is not 0 to 1000 milliseconds', () => {
    for (const commitDelayMs of [-1, 1001, Number.NaN, '5' as unknown as number]) {
      expect(() => sqlite({ commitDelayMs })).toThrow(/commitDelayMs.*0 to 1000/)
    }
  })

  it('usage records waiting for their batch hold back neither a lone settlement (journaled) nor a reserve', async () => {
    const { path, store } = await journaledStore()
    await store.reserve('a', 'r1', 100)
    const event = { specificationVersion: 'mesh.usage.v1', requestId: 'u1', timings: { startedAt: 1 } } as unknown as Parameters<typeof store.recordUsage>[0][number]
    const order: string[] = []
    const recording = store.recordUsage([event]).then(() => order.push('usage'))
    const reserving = store.reserve('a', 'r2', 100, { fresh: true }).then(() => order.push('reserve'))
    const settling = store.settle('a', 'r1', 40).then(() => order.push('settle'))
    expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1'])
    await Promise.all([recording, settling, reserving])
    // Both answered before the usage batch ran.
    expect(order.slice(0, 2).sort()).toEqual(['reserve', 'settle'])
    expect(order[2]).toBe('usage')
    expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 960, reservedMicroUsd: 100 })
    await store.close()
  })

  it('keeps the created flag exact: a request another process settled is not journaled again', async () => {
    const { path, store } = await journaledStore()
    const peer = sqlite({ path, holds: 'process', debitJournal: false })
    await store.reserve('a', 'r1', 100)
    expect((await peer.settle('a', 'r1', 70)).created).toBe(true)
    expect((await store.settle('a', 'r1', 70)).created).toBe(false)
    expect(journalLines(path)).toEqual([])
    expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 930, reservedMicroUsd: 0 })
    await Promise.all([store.close(), peer.close()])
  })

  it('settles a hold reserved under a fresh id without looking for an earlier debit; the commit still keeps one debit per request', async () => {
    const { path, store } = await journaledStore()
    const peer = sqlite({ path, holds: 'process', debitJournal: false })
    await store.reserve('a', 'r1', 100, { fresh: true })
    // A caller that breaks the hint (the id is settled elsewhere meanwhile): no look-up, so the
    // settlement is journaled and reported as created…
    expect((await peer.settle('a', 'r1', 70)).created).toBe(true)
    expect((await store.settle('a', 'r1', 70)).created).toBe(true)
    expect(journalLines(path).map((line) => line.requestId)).toEqual(['r1'])
    // …but its commit meets the unique index: one debit, and this store's count agrees.
    expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 930, reservedMicroUsd: 0 })
    expect(storedUsage(path)).toEqual(['r1'])
    await Promise.all([store.close(), peer.close()])
  })

  it('a commit that fails is retried: the acknowledged debit is stored once the database takes writes again', async () => {
    const { path, store } = await journaledStore()
    await store.reserve('a', 'r1', 100, { keyId: 'k' })
    const raw = new Database(path)
    raw.exec("CREATE TRIGGER fail_spend BEFORE INSERT ON mesh_spend BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    expect((await store.settle('a', 'r1', 80)).created).toBe(true)
    const reading = store.balance('a')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(storedUsage(path)).toEqual([])
    raw.exec('DROP TRIGGER fail_spend')
    raw.close()
    // The retry (a second after the failure) commits it; the read waited for it.
    expect(await reading).toEqual({ balanceMicroUsd: 920, reservedMicroUsd: 0, availableMicroUsd: 920 })
    expect(storedUsage(path)).toEqual(['r1'])
    await store.close()
    expect(journalsOf(path)).toEqual([])
  })

  it('gives up on a commit that keeps failing after three tries: warns, stops holding reads back, and leaves the debit to the next process', async () => {
    const { path, store } = await journaledStore()
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      await store.reserve('a', 'r1', 100)
      const raw = new Database(path)
      raw.exec("CREATE TRIGGER fail_spend BEFORE INSERT ON mesh_spend BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
      expect((await store.settle('a', 'r1', 80)).created).toBe(true)
      // Reads wait for the tries (two retries a second apart), then go on without the debit.
      expect((await store.balance('a')).balanceMicroUsd).toBe(1_000)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((w) => (w as Error & { code?: string }).code)).toContain('MESH_DEBIT_JOURNAL')
      expect(warnings.find((w) => w.message.includes('r1'))?.message).toMatch(/disk trouble/)
      raw.exec('DROP TRIGGER fail_spend')
      raw.close()
      await store.close()
      // Kept, with the debit in it, for the next process.
      expect(journalLines(path).map((e) => e.requestId)).toEqual(['r1'])
      const next = sqlite({ path, holds: 'process' })
      expect((await next.balance('a')).balanceMicroUsd).toBe(920)
      expect(journalsOf(path)).toEqual([])
      await next.close()
    } finally {
      process.off('warning', onWarning)
    }
  }, 10_000)

  it('settles through the commit when the journal cannot be written', async () => {
    const { path, store } = await journaledStore()
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const dir = dirname(path)
    try {
      await store.reserve('a', 'r1', 100)
      // The database's files stay open; the journal, created at the first journaled settlement, cannot be.
      renameSync(dir, `${dir}-moved`)
      try {
        expect((await store.settle('a', 'r1', 30)).created).toBe(true)
        // Stored before the settlement resolved: it waited for its commit.
        expect(storedUsage(join(`${dir}-moved`, 'mesh.db'))).toEqual(['r1'])
      } finally {
        renameSync(`${dir}-moved`, dir)
      }
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.some((w) => /debit journal cannot be written/.test(w.message))).toBe(true)
      expect(await store.balance('a')).toMatchObject({ balanceMicroUsd: 970, reservedMicroUsd: 0 })
      await store.close()
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('is off with holds shared, synchronous full, :memory: or debitJournal: false', async () => {
    for (const options of [{}, { holds: 'process' as const, synchronous: 'full' as const }, { holds: 'process' as const, debitJournal: false }]) {
      const path = tempPath()
      const store = await withAccountA(sqlite({ path, ...options }))
      await store.reserve('a', 'r1', 100)
      await store.settle('a', 'r1', 50)
      expect(journalsOf(path), JSON.stringify(options)).toEqual([])
      expect(storedUsage(path), JSON.stringify(options)).toEqual(['r1'])
      await store.close()
    }
    const memory = await withAccountA(sqlite({ path: ':memory:', holds: 'process' }))
    await memory.reserve('a', 'r1', 100)
    expect((await memory.settle('a', 'r1', 50)).created).toBe(true)
    expect((await memory.balance('a')).balanceMicroUsd).toBe(950)
    await memory.close()
  })
})

describe('DebitJournal', () => {
  const entry = (requestId: string) => ({ id: `e-${requestId}`, accountId: 'a', kind: 'usage' as const, amountMicroUsd: -5, requestId, createdAt: 1 })

  it('empties its file once it is large and everything in it is committed, and removes it on close', () => {
    const path = tempPath()
    const journal = new DebitJournal(path, 300)
    for (let i = 0; i < 4; i++) journal.append(entry(`r${i}`))
    const full = journal.sizeOnDisk()
    expect(full).toBeGreaterThan(300)
    for (let i = 0; i < 3; i++) journal.applied()
    expect(journal.sizeOnDisk()).toBe(full) // one still pending
    journal.applied()
    expect(journal.sizeOnDisk()).toBe(0)
    journal.append(entry('r4'))
    expect(journal.hasPending).toBe(true)
    journal.close()
    expect(journalsOf(path)).toHaveLength(1) // r4 was never committed: kept for the next process
  })

  it("recovers every journal's whole lines, skips a torn last line, and removes only those whose writer is gone", () => {
    const path = tempPath()
    const dead = `${path}-debits-999999999-aaaa.jsonl`
    const live = `${path}-debits-${process.ppid}-bbbb.jsonl`
    writeFileSync(dead, `${JSON.stringify(entry('r1'))}\n${JSON.stringify(entry('r2'))}\n{"id":"e-r3","accou`)
    writeFileSync(live, `${JSON.stringify(entry('r9'))}\n`)
    const { entries, discard } = DebitJournal.recover(path)
    expect(entries.map((e) => e.requestId).sort()).toEqual(['r1', 'r2', 'r9'])
    discard()
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(live)).toBe(true)
  })

  it("never removes a journal this process is writing (another store on the same file), but does an earlier process's of the same pid", () => {
    const path = tempPath()
    const ours = new DebitJournal(path)
    ours.append(entry('r1'))
    const earlier = `${path}-debits-${process.pid}-cccc.jsonl`
    writeFileSync(earlier, `${JSON.stringify(entry('r0'))}\n`)
    const { entries, discard } = DebitJournal.recover(path)
    expect(entries.map((e) => e.requestId).sort()).toEqual(['r0', 'r1'])
    discard()
    expect(existsSync(earlier)).toBe(false)
    expect(journalsOf(path)).toHaveLength(1)
    ours.applied()
    ours.close()
    expect(journalsOf(path)).toEqual([])
  })
})
