import { existsSync, readFileSync, statSync } from 'node:fs'
import { StoreError } from '@modelmesh/core'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { openConnection } from '../src/connection.js'
import { sqliteLedgerMoney } from '../src/ledger-money.js'
import { sqliteLedgerRecords } from '../src/ledger-records.js'
import { sqlite } from '../src/index.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-batch-').dbPath

describe('sqlite group commit', () => {
  it('aggregates balance and spend of a batch; an operation that fails leaves no trace in them', async () => {
    const path = tempPath()
    const store = sqlite({ path })
    await store.putAccount({ id: 'a', createdAt: 0 })
    const grant = await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 10_000 })
    await store.reserve('a', 'r1', 3_000, { keyId: 'k' })
    // One tick, so one transaction: a settle, a failing append (its INSERT breaks the unique id),
    // a failing settle (unknown account), a grant, and reserves that must see what came before.
    const outcomes = await Promise.allSettled([
      store.settle('a', 'r1', 2_500),
      store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1_000_000, id: grant.entry.id }),
      store.settle('nobody', 'r2', 1),
      store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 500 }),
      store.reserve('a', 'r3', 8_000, { keyId: 'k', caps: [{ scope: 'key', period: 'day', limitMicroUsd: 10_500 }] }),
      store.reserve('a', 'r4', 1, { keyId: 'k', caps: [{ scope: 'key', period: 'day', limitMicroUsd: 10_500 }] }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
    expect((outcomes[2] as PromiseRejectedResult).reason).toSatisfy((e) => StoreError.isInstance(e) && (e as StoreError).code === 'not-found')
    // Balance 10_000 − 2_500 + 500 = 8_000: r3 fits exactly, and the key's day (2_500 settled + 8_000 held) is full.
    expect((outcomes[4] as PromiseFulfilledResult<unknown>).value).toMatchObject({ ok: true })
    expect((outcomes[5] as PromiseFulfilledResult<unknown>).value).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 0 })
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 8_000, reservedMicroUsd: 8_000, availableMicroUsd: 0 })
    expect((await store.spend({ kind: 'key', id: 'k' })).dayMicroUsd).toBe(2_500)

    // What was written to the file, read by another connection.
    const raw = new Database(path, { readonly: true })
    expect(raw.prepare("SELECT balance FROM mesh_accounts WHERE id = 'a'").pluck().get()).toBe(8_000)
    expect(raw.prepare("SELECT amount FROM mesh_spend WHERE scope = 'key:k' AND bucket = 'total'").pluck().get()).toBe(2_500)
    expect(raw.prepare('SELECT request_id FROM mesh_reservations ORDER BY 1').pluck().all()).toEqual(['r3'])
    expect(raw.prepare("SELECT SUM(amount) FROM mesh_entries WHERE account_id = 'a'").pluck().get()).toBe(8_000)
    raw.close()
    await store.close()
  })

  it('writes the spend of a batch with more rows than one upsert statement takes, each row once', async () => {
    const path = tempPath()
    const store = sqlite({ path })
    await store.putAccount({ id: 'a', createdAt: 0 })
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1_000_000 })
    await store.settle('a', 'before', 1, { keyId: 'k0' })
    // One tick: 20 keys in 5 projects, two settles per key → (20 + 5 + 1) scopes × 3 buckets = 78 rows (3 statements).
    const settles = []
    for (let k = 0; k < 20; k++) for (const n of [1, 2]) settles.push(store.settle('a', `r-${k}-${n}`, 10 * k + n, { keyId: `k${k}`, projectId: `p${k % 5}` }))
    await Promise.all(settles)
    for (let k = 0; k < 20; k++) {
      const spent = await store.spend({ kind: 'key', id: `k${k}` })
      expect([spent.dayMicroUsd, spent.monthMicroUsd, spent.totalMicroUsd]).toEqual(Array(3).fill(20 * k + 3 + (k === 0 ? 1 : 0)))
    }
    for (let p = 0; p < 5; p++) {
      const expected = [p, p + 5, p + 10, p + 15].reduce((sum, k) => sum + 20 * k + 3, 0)
      expect((await store.spend({ kind: 'project', id: `p${p}` })).totalMicroUsd).toBe(expected)
    }
    const all = 1 + Array.from({ length: 20 }, (_, k) => 20 * k + 3).reduce((a, b) => a + b, 0)
    expect((await store.spend({ kind: 'account', id: 'a' })).monthMicroUsd).toBe(all)
    const raw = new Database(path, { readonly: true })
    expect(raw.prepare('SELECT COUNT(*) FROM mesh_spend').pluck().get()).toBe(26 * 3)
    raw.close()
    await store.close()
  })

  it('a batch that cannot commit rejects all its operations and forgets its cached changes', async () => {
    const path = tempPath()
    const store = sqlite({ path, busyTimeoutMs: 50 })
    await store.putAccount({ id: 'a', createdAt: 0 })
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1_000 })
    await store.reserve('a', 'warm', 100)
    // Another connection holds the write lock: the next batch cannot begin.
    const blocker = new Database(path)
    blocker.prepare('BEGIN IMMEDIATE').run()
    const failed = await Promise.allSettled([store.settle('a', 'warm', 100), store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 5 })])
    expect(failed.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    blocker.prepare('ROLLBACK').run()
    blocker.close()
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 100, availableMicroUsd: 900 })
    expect((await store.settle('a', 'warm', 100)).created).toBe(true)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 900, reservedMicroUsd: 0, availableMicroUsd: 900 })
    await store.close()
  })

  it('sees what another process committed between its batches (balances, holds, spend)', async () => {
    const path = tempPath()
    const store = sqlite({ path })
    const peer = sqlite({ path })
    await store.putAccount({ id: 'a', createdAt: 0 })
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1_000 })
    const caps = [{ scope: 'key', period: 'total', limitMicroUsd: 1_200 }] as const
    expect(await store.reserve('a', 'r1', 800, { keyId: 'k', caps })).toMatchObject({ ok: true })
    // The peer grants, settles the store's hold and spends on the key: the store's cache is stale.
    await peer.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 500 })
    expect((await peer.settle('a', 'r1', 600)).created).toBe(true)
    expect(await store.reserve('a', 'r2', 601, { keyId: 'k', caps })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 600 })
    expect(await store.reserve('a', 'r2', 600, { keyId: 'k', caps })).toMatchObject({ ok: true })
    expect((await store.settle('a', 'r1', 1)).created, 'settled by the peer already').toBe(false)
    expect(await store.balance('a')).toEqual({ balanceMicroUsd: 900, reservedMicroUsd: 600, availableMicroUsd: 300 })
    expect(await peer.release('a', 'r2')).toBe(true)
    expect(await store.release('a', 'r2')).toBe(false)
    expect((await store.balance('a')).reservedMicroUsd).toBe(0)
    await Promise.all([store.close(), peer.close()])
  })

  it('runs each savepoint operation alone: a throw undoes its own writes only', async () => {
    const connection = openConnection({ path: tempPath(), synchronous: 'normal', busyTimeoutMs: 1_000 }, 'test')
    connection.prepare('SELECT 1').get()
    const put = (key: string) => connection.prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, 1, 0)').run(key, 'v')
    const outcomes = await Promise.allSettled([
      connection.batched(() => put('a')),
      connection.batched(() => {
        put('b')
        throw new Error('undo b')
      }),
      connection.batched(() => put('c')),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(connection.prepare('SELECT key FROM mesh_state ORDER BY key').pluck().all()).toEqual(['a', 'c'])
    await connection.close()
  })
  it("runs operations that write no SQL in one read snapshot, ended with them (also from inside a batch)", async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000 }, 'test')
    const read = () => connection.prepare("SELECT value FROM mesh_state WHERE key = 'k'").pluck().get()
    connection.prepare("INSERT INTO mesh_state (key, value, size, updated_at) VALUES ('k', 'before', 1, 0)").run()
    let hookRan = 0
    connection.setBatchHooks({ begin: () => void hookRan++, beforeCommit: () => {}, aborted: () => {}, committed: () => {} })
    const other = new Database(path)
    const seen = await connection.batched(
      () => {
        const first = read()
        other.prepare("UPDATE mesh_state SET value = 'after' WHERE key = 'k'").run()
        return [first, read()]
      },
      { durability: 'none' },
    )
    // Both reads of the operation saw one snapshot; the next read, after it, sees the other connection's commit.
    expect(seen).toEqual(['before', 'before'])
    expect(hookRan).toBe(1)
    expect(read()).toBe('after')
    // An operation that writes no SQL, asked from inside a batch, runs in that batch's transaction.
    const nested = await connection.batched(() => connection.batched(() => read(), { durability: 'none' }))
    expect(nested).toBe('after')
    other.close()
    await connection.close()
  })
})

describe('sqlite checkpoint worker', () => {
  it('checkpoints in a worker thread and stops with close()', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0 }, 'test')
    connection.prepare('SELECT 1').get()
    const worker = connection.checkpointer!
    expect(worker.running).toBe(true)
    for (let i = 0; i < 50; i++) await connection.batched(() => connection.prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, 1, 0)').run(`k${i}`, 'v'))
    const passive = await worker.checkpoint('PASSIVE')
    expect(passive.busy).toBe(0)
    expect(passive.checkpointed).toBe(passive.log)
    // The main connection leaves checkpoints to the worker.
    expect(connection.prepare('PRAGMA wal_autocheckpoint').pluck().get()).toBe(0)
    expect(await worker.checkpoint('TRUNCATE')).toEqual({ busy: 0, log: 0, checkpointed: 0 })
    expect(statSync(`${path}-wal`).size).toBe(0)
    await connection.close()
    expect(worker.running).toBe(false)
    await expect(worker.checkpoint()).rejects.toThrow(/stopped/)
    // The last connection to close (the worker's) removed the WAL; the data is in the file.
    expect(existsSync(`${path}-wal`)).toBe(false)
    const raw = new Database(path, { readonly: true })
    expect(raw.prepare('SELECT COUNT(*) FROM mesh_state').pluck().get()).toBe(50)
    raw.close()
  })

  it('starts the WAL over itself after a RESTART, so the fsync of its new header is not the event loop\'s', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0 }, 'test')
    connection.prepare('SELECT 1').get()
    const worker = connection.checkpointer!
    const version = connection.prepare('PRAGMA user_version').pluck().get()
    for (let i = 0; i < 20; i++) await connection.batched(() => connection.prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, 1, 0)').run(`k${i}`, 'v'))
    // The WAL header's checkpoint sequence number (bytes 12-15) goes up each time a writer starts the WAL over.
    const walSequence = () => readFileSync(`${path}-wal`).readUInt32BE(12)
    const before = walSequence()
    const restart = await worker.checkpoint('RESTART')
    expect(restart.busy).toBe(0)
    expect(restart.checkpointed).toBe(restart.log)
    // Started over by the worker's write, before the main connection writes again.
    expect(walSequence()).toBe(before + 1)
    expect(connection.prepare('PRAGMA user_version').pluck().get()).toBe(version)
    await connection.batched(() => connection.prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, 1, 0)').run('after', 'v'))
    expect(walSequence()).toBe(before + 1)
    // A TRUNCATE (the idle case) leaves the WAL empty: no write after it.
    expect(await worker.checkpoint('TRUNCATE')).toEqual({ busy: 0, log: expect.any(Number), checkpointed: expect.any(Number) })
    expect(statSync(`${path}-wal`).size).toBe(0)
    await connection.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.prepare('SELECT COUNT(*) FROM mesh_state').pluck().get()).toBe(21)
    expect(raw.prepare('PRAGMA user_version').pluck().get()).toBe(version)
    raw.close()
  })

  it('starts the worker only once the WAL has grown (a quiet gateway runs no extra thread)', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 64 * 1024 }, 'test')
    const put = (i: number) => connection.prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, 1, 0)').run(`k${i}`, 'x'.repeat(2000))
    for (let i = 0; i < 5; i++) await connection.batched(() => put(i))
    expect(connection.checkpointer).toBeUndefined()
    // Until then SQLite's own automatic checkpoint is the backstop.
    expect(connection.prepare('PRAGMA wal_autocheckpoint').pluck().get()).toBe(1000)
    // ~2 kB a row: past 64 KiB of WAL well within these batches (the size is looked at every 16).
    for (let i = 5; i < 100 && !connection.checkpointer; i++) await connection.batched(() => put(i))
    const worker = connection.checkpointer!
    expect(worker.running).toBe(true)
    expect(statSync(`${path}-wal`).size).toBeGreaterThanOrEqual(64 * 1024)
    expect(connection.prepare('PRAGMA wal_autocheckpoint').pluck().get()).toBe(0)
    expect((await worker.checkpoint('TRUNCATE')).busy).toBe(0)
    await connection.close()
    expect(worker.running).toBe(false)
  })

  it('writes usage rows in the worker once it runs (all or none), and on the main thread when it is not running', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0 }, 'test')
    const records = sqliteLedgerRecords(connection)
    const money = sqliteLedgerMoney(connection, 'process')
    connection.prepare('SELECT 1').get()
    const worker = connection.checkpointer!
    const event = (requestId: string, startedAt: number | null = 1_000) =>
      ({ specificationVersion: 'mesh.usage.v1', requestId, accountId: 'a', keyId: 'k', timings: { startedAt, totalMs: 1 } }) as unknown as Parameters<typeof records.recordUsage>[0][number]
    // This thread's connection to the usage file counts its own statements: the worker's rows are not among them.
    const hereChanges = () => connection.prepareUsage('SELECT total_changes()').pluck().get() as number
    const before = hereChanges()
    // The ledger's file is not written: its data_version (which moves when another connection commits to it) stays.
    const ledgerVersion = () => connection.prepare('PRAGMA data_version').pluck().get() as number
    const version = ledgerVersion()
    expect(await records.recordUsage([event('u1'), event('u2')])).toBe(2)
    expect(worker.rowWrites).toBe(1)
    expect(hereChanges()).toBe(before)
    expect(ledgerVersion()).toBe(version)
    // Committed when it resolves: the main connection reads them; a repeated id is skipped.
    expect((await records.usage({ accountId: 'a' })).map((e) => e.requestId).sort()).toEqual(['u1', 'u2'])
    expect(await records.recordUsage([event('u2'), event('u3')])).toBe(1)
    expect(worker.rowWrites).toBe(2)
    // All or none: a row the table refuses (started_at NOT NULL) rejects the batch, and its other rows are not kept.
    await expect(records.recordUsage([event('u4'), event('u5', null)])).rejects.toThrow(/NOT NULL/)
    expect((await records.usage({ accountId: 'a' })).map((e) => e.requestId).sort()).toEqual(['u1', 'u2', 'u3'])

    // Money operations on the main thread stay exact around the worker's commits of usage rows.
    await records.putAccount({ id: 'a', createdAt: 0 })
    await money.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 1_000 })
    const reserved = await money.reserve('a', 'r1', 600, { fresh: true })
    expect(reserved.ok).toBe(true)
    expect(await records.recordUsage([event('u6')])).toBe(1)
    expect((await money.reserve('a', 'r2', 600, { fresh: true })).ok).toBe(false)
    await money.settle('a', 'r1', 100)
    expect(await records.recordUsage([event('u7')])).toBe(1)
    expect((await money.balance('a')).balanceMicroUsd).toBe(900)

    expect(worker.rowWrites).toBe(4)

    // A stopped worker: the rows are written on the main thread.
    await worker.close()
    expect(worker.running).toBe(false)
    expect(await records.recordUsage([event('u8'), event('u9')])).toBe(2)
    expect(worker.rowWrites).toBe(4)
    expect(hereChanges()).toBe(before + 2)
    expect((await records.usage({ accountId: 'a' })).length).toBe(7)
    await connection.close()
  })

  it('stores each usage event as its JSON.stringify text, made by the worker while it runs and by this thread otherwise', async () => {
    const path = tempPath()
    const connection = openConnection({ path, synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0 }, 'test')
    const records = sqliteLedgerRecords(connection)
    connection.prepare('SELECT 1').get()
    const worker = connection.checkpointer!
    type Event = Parameters<typeof records.recordUsage>[0][number]
    const event = (requestId: string, extra: Record<string, unknown> = {}) =>
      ({ specificationVersion: 'mesh.usage.v1', requestId, accountId: 'a', keyId: undefined, timings: { startedAt: 1_000, totalMs: 1.5, overheadMs: 0.083 }, usage: { raw: { prompt_tokens: 14, details: { cached: 0 } }, inputTokens: 14 }, note: 'é "quoted" \n ✓', ...extra }) as unknown as Event
    const stored = (id: string) => connection.prepareUsage('SELECT event FROM mesh_usage WHERE request_id = ?').pluck().get(id) as string
    const writes = worker.rowWrites
    // What reaches the worker: the event itself, not its text.
    const handed: unknown[] = []
    const original = worker.writeRows.bind(worker)
    ;(worker as { writeRows: typeof worker.writeRows }).writeRows = (sql, rows, jsonColumn) => {
      handed.push(...rows.map((row) => row[jsonColumn ?? -1]))
      return original(sql, rows, jsonColumn)
    }
    const plain = [event('j1'), event('j2', { attempts: [{ status: 200, durationMs: 705 }] })]
    expect(await records.recordUsage(plain)).toBe(2)
    expect(handed).toEqual(plain)
    // Written by the worker (one transaction), byte for byte what JSON.stringify makes here.
    expect(worker.rowWrites).toBe(writes + 1)
    for (const e of plain) expect(stored(e.requestId)).toBe(JSON.stringify(e))
    // A value the structured clone refuses (JSON leaves a function out): serialised here, the text
    // written by the worker all the same.
    const odd = event('j3', { callback: () => 1 })
    expect(await records.recordUsage([odd])).toBe(1)
    expect(worker.rowWrites).toBe(writes + 2)
    expect(stored('j3')).toBe(JSON.stringify(odd))
    expect(stored('j3')).not.toContain('callback')
    // No worker: this thread serialises them when they are handed over (a later change is not stored).
    await worker.close()
    const late = event('j4')
    const written = records.recordUsage([late])
    ;(late as unknown as { note: string }).note = 'changed after recordUsage'
    expect(await written).toBe(1)
    expect(JSON.parse(stored('j4')).note).toBe('é "quoted" \n ✓')
    expect(worker.rowWrites).toBe(writes + 2)
    await connection.close()
  })

  it('no worker for :memory:, and a store closed twice is fine', async () => {
    const connection = openConnection({ path: ':memory:', synchronous: 'normal', busyTimeoutMs: 1_000 }, 'test')
    connection.prepare('SELECT 1').get()
    expect(connection.checkpointer).toBeUndefined()
    await connection.close()
    const store = sqlite({ path: tempPath() })
    await store.save('k', 'v')
    await store.close()
    await store.close()
  })

  it('defaults to synchronous NORMAL; full stays available', async () => {
    const normal = openConnection({ path: tempPath(), synchronous: 'normal', busyTimeoutMs: 1_000 }, 'test')
    expect(normal.prepare('PRAGMA synchronous').pluck().get()).toBe(1)
    await normal.close()
    const path = tempPath()
    const full = sqlite({ path, synchronous: 'full' })
    await full.putAccount({ id: 'a', createdAt: 0 })
    await full.reserve('a', 'r', 0)
    expect(await full.settle('a', 'r', 0)).toMatchObject({ created: true })
    await full.close()
    expect(sqlite().descriptor.options).toEqual({})
  })
})
