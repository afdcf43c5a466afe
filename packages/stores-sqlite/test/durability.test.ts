import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { StoreError } from '@modelmesh/core'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { SCHEMA_VERSION, USAGE_SCHEMA_VERSION, sqlite } from '../src/index.js'
import { storedUsage } from './support/ledger-files.js'
import { tempFiles } from './support/temp-files.js'

const here = dirname(fileURLToPath(import.meta.url))
// The store needs only core's store helpers at run time; aliasing to them keeps the child's start fast.
const CORE_SOURCE = join(here, '../../core/src/stores/index.ts')
const tempDir = tempFiles('mesh-sqlite-').dir

/**
 * Puts back an older schema's mesh_entries (`columns`: its column definitions): rows, indexes and
 * immutability guards kept, as the migration tests' starting point.
 */
function oldEntriesTable(raw: Database.Database, columns: string): void {
  raw.exec(`
    CREATE TABLE old_entries (${columns});
    INSERT INTO old_entries SELECT * FROM mesh_entries;
    DROP TABLE mesh_entries;
    ALTER TABLE old_entries RENAME TO mesh_entries;
    CREATE UNIQUE INDEX mesh_entries_request ON mesh_entries (kind, request_id) WHERE request_id IS NOT NULL;
    CREATE INDEX mesh_entries_account ON mesh_entries (account_id, seq);
    CREATE TRIGGER mesh_entries_no_update BEFORE UPDATE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
    CREATE TRIGGER mesh_entries_no_delete BEFORE DELETE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;`)
}

/** The usage file a ledger file `<name>.db` gets by default. */
const usageFileOf = (path: string) => path.replace(/\.db$/, '.usage.db')

/**
 * Marks a file as schema `version` (1-5): puts the usage table back into it as it was then (the
 * partial indexes of version 2, the start-time index from version 5 on) with the usage file's
 * rows, and deletes the usage file unless `keepUsageFile` (a crash after the copy of version 6).
 */
function asSchemaVersion(raw: Database.Database, version: number, { keepUsageFile = false } = {}): void {
  raw.exec(`CREATE TABLE mesh_usage (request_id TEXT PRIMARY KEY, account_id TEXT, project_id TEXT, key_id TEXT, started_at INTEGER NOT NULL, event TEXT NOT NULL);
    CREATE INDEX mesh_usage_account ON mesh_usage (account_id, started_at) WHERE account_id IS NOT NULL;
    CREATE INDEX mesh_usage_project ON mesh_usage (project_id, started_at) WHERE project_id IS NOT NULL;
    CREATE INDEX mesh_usage_key ON mesh_usage (key_id, started_at) WHERE key_id IS NOT NULL;`)
  if (version >= 5) raw.exec('CREATE INDEX mesh_usage_started ON mesh_usage (started_at)')
  const usagePath = usageFileOf(raw.name)
  if (existsSync(usagePath)) {
    raw.prepare('ATTACH DATABASE ? AS usage_file').run(usagePath)
    raw.exec('INSERT INTO mesh_usage SELECT * FROM usage_file.mesh_usage; DETACH DATABASE usage_file')
    if (!keepUsageFile) for (const suffix of ['', '-wal', '-shm']) rmSync(usagePath + suffix, { force: true })
  }
  raw.pragma(`user_version = ${version}`)
}

/** A store on `path` with account `accountId`, a grant of 1,000 and `settled` requests req-0, req-1, … settled for 10 + i each. */
async function storeWithSettlements(path: string, accountId: string, settled: number) {
  const store = sqlite({ path })
  await store.putAccount({ id: accountId, createdAt: 0 })
  await store.append({ accountId, kind: 'grant', amountMicroUsd: 1_000 })
  for (let i = 0; i < settled; i++) await store.settle(accountId, `req-${i}`, 10 + i, { keyId: 'key-1' })
  return store
}

/** After a migration rebuilt mesh_entries: its indexes and guards are all there, and work. */
function expectEntriesObjects(file: Database.Database): void {
  expect(file.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'mesh_entries' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all()).toEqual([
    'mesh_entries',
    'mesh_entries_account',
    'mesh_entries_no_delete',
    'mesh_entries_no_update',
    'mesh_entries_request',
  ])
  expect(() => file.prepare('DELETE FROM mesh_entries').run()).toThrow(/immutable/)
  expect(() => file.prepare('UPDATE mesh_entries SET amount = 5').run()).toThrow(/immutable/)
  expect(file.pragma('foreign_key_check')).toEqual([])
}

/** Runs the writer in a child Node process; with `killAfter`, SIGKILLs it after that many acknowledgements. */
function runWriter(args: string[], options: { cwd?: string; killAfter?: number; env?: Record<string, string> }): Promise<{ acked: string[]; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // jiti runs the TypeScript sources directly.
    const register = pathToFileURL(join(here, '../node_modules/jiti/lib/jiti-register.mjs')).href
    const child = spawn(process.execPath, ['--import', register, join(here, 'support/ledger-writer.ts'), ...args], {
      cwd: options.cwd ?? join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JITI_ALIAS: JSON.stringify({ '@modelmesh/core': CORE_SOURCE }), JITI_FS_CACHE: 'false', ...options.env },
    })
    const acked: string[] = []
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4))
      if (options.killAfter !== undefined && acked.length >= options.killAfter) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (_code, signal) => resolve({ acked, signal, stderr }))
  })
}

describe('sqlite durability', () => {
  it('kill -9 loses no acknowledged entry, and retrying the same requests after restart bills none twice', async () => {
    const path = join(tempDir(), 'mesh.db')
    const first = await runWriter([path], { killAfter: 300 })
    expect(first.signal, first.stderr).toBe('SIGKILL')
    expect(first.acked.length).toBeGreaterThanOrEqual(300)

    const store = sqlite({ path })
    const settled = new Set((await store.entries('acct-durable')).filter((e) => e.kind === 'usage').map((e) => e.requestId))
    const lost = first.acked.filter((id) => !settled.has(id))
    expect(lost, 'acknowledged settlements missing after kill -9').toEqual([])
    await store.close()

    // The restarted process retries from the first request: every id already billed is refused.
    // The child may have committed more than the parent had read acknowledgements of when the kill
    // landed, so the retry covers everything stored plus 20 new requests.
    const total = settled.size + 20
    const again = await runWriter([path, String(total)], {})
    expect(again.signal, again.stderr).toBeNull()
    const reopened = sqlite({ path })
    const usage = (await reopened.entries('acct-durable')).filter((e) => e.kind === 'usage')
    expect(new Set(usage.map((e) => e.requestId)).size).toBe(usage.length)
    expect(usage).toHaveLength(total)
    expect((await reopened.balance('acct-durable')).balanceMicroUsd).toBe(1_000_000_000 - 60 * usage.length)
    await reopened.close()
  }, 60_000)

  it("holds: 'process' (debit journal on): kill -9 loses no acknowledged entry and bills none twice", async () => {
    const path = join(tempDir(), 'mesh.db')
    const first = await runWriter([path], { killAfter: 300, env: { MESH_HOLDS: 'process' } })
    expect(first.signal, first.stderr).toBe('SIGKILL')
    const store = sqlite({ path, holds: 'process' })
    const usage = (await store.entries('acct-durable')).filter((e) => e.kind === 'usage')
    const settled = new Set(usage.map((e) => e.requestId))
    expect(first.acked.filter((id) => !settled.has(id)), 'acknowledged settlements missing after kill -9').toEqual([])
    expect(settled.size).toBe(usage.length)
    expect((await store.balance('acct-durable')).balanceMicroUsd).toBe(1_000_000_000 - 60 * usage.length)
    await store.close()
  }, 60_000)

  it('a settlement acknowledged from the debit journal and killed before its commit is stored by the next process, once', async () => {
    const dir = tempDir()
    const path = join(dir, 'mesh.db')
    const journals = () => readdirSync(dir).filter((name) => name.includes('-debits-'))
    const run = await runWriter([path], { env: { MESH_HOLDS: 'process', MESH_DIE_AFTER_ACK: '6' } })
    expect(run.signal, run.stderr).toBe('SIGKILL')
    const ids = Array.from({ length: 6 }, (_, i) => `req-${i}`)
    expect(run.acked).toEqual(ids)
    // The writer settles back to back: four settlements of a turn are journaled, the fifth joins a
    // batch and commits them with it; req-5 is journaled in the next turn, and the kill lands in
    // it: its debit is only in the journal.
    expect(storedUsage(path)).toEqual(ids.slice(0, 5))
    expect(journals()).toHaveLength(1)
    const [journal] = journals()
    const kept = join(tempDir(), 'journal-copy')
    copyFileSync(join(dir, journal!), kept)

    // Opened without process-local holds (so without a journal of its own): it replays the journal all the same.
    const next = sqlite({ path })
    const usage = (await next.entries('acct-durable')).filter((e) => e.kind === 'usage')
    expect(usage.map((e) => e.requestId)).toEqual(ids)
    expect((await next.balance('acct-durable')).balanceMicroUsd).toBe(1_000_000_000 - 6 * 60)
    // Its writer is dead and its entries are stored: the journal is gone.
    expect(journals()).toEqual([])
    await next.close()

    // The same journal found again (say a copy restored from a backup): nothing is billed twice.
    copyFileSync(kept, join(dir, journal!))
    const again = sqlite({ path, holds: 'process' })
    expect((await again.entries('acct-durable')).filter((e) => e.kind === 'usage')).toHaveLength(6)
    expect((await again.balance('acct-durable')).balanceMicroUsd).toBe(1_000_000_000 - 6 * 60)
    expect(journals()).toEqual([])
    await again.close()
  }, 60_000)

  it('opens .mesh/mesh.db under the working directory by default, in WAL mode', async () => {
    const cwd = tempDir()
    const run = await runWriter(['default', '3'], { cwd })
    expect(run.acked, run.stderr).toEqual(['req-0', 'req-1', 'req-2'])
    const file = join(cwd, '.mesh', 'mesh.db')
    expect(existsSync(file)).toBe(true)
    const raw = new Database(file, { readonly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    raw.close()
  }, 30_000)

  it('migrates once, keeps data across reopen, and refuses a file from a newer schema', async () => {
    const path = join(tempDir(), 'mesh.db')
    const first = sqlite({ path })
    await first.save('k', 'v')
    await first.close()
    const second = sqlite({ path })
    expect(await second.load('k')).toBe('v')
    await second.close()
    const raw = new Database(path)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.close()
    const error = await sqlite({ path })
      .load('k')
      .catch((e: unknown) => e)
    expect(StoreError.isInstance(error)).toBe(true)
    expect(String(error)).toMatch(/newer than this @modelmesh\/stores-sqlite understands/)
  })

  it('migrates a schema-1 file: its holds stay, their scope indexes go', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = sqlite({ path })
    await store.putAccount({ id: 'acct-v1', name: 'v1', createdAt: 0 })
    await store.append({ accountId: 'acct-v1', kind: 'grant', amountMicroUsd: 1_000 })
    expect((await store.reserve('acct-v1', 'req-in-flight', 300, { keyId: 'key-1', now: Date.now() })).ok).toBe(true)
    await store.close()
    // What version 1 left: the same tables plus three indexes on mesh_reservations.
    const raw = new Database(path)
    raw.exec(`CREATE INDEX mesh_reservations_account ON mesh_reservations (account_id, expires_at);
      CREATE INDEX mesh_reservations_key ON mesh_reservations (key_id);
      CREATE INDEX mesh_reservations_project ON mesh_reservations (project_id);`)
    asSchemaVersion(raw, 1)
    raw.close()
    const reopened = sqlite({ path })
    expect((await reopened.balance('acct-v1')).reservedMicroUsd).toBe(300)
    expect((await reopened.spend({ kind: 'key', id: 'key-1' })).reservedMicroUsd).toBe(300)
    await reopened.close()
    const after = new Database(path, { readonly: true })
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mesh_reservations' AND name NOT LIKE 'sqlite_%'").pluck().all()).toEqual([])
    after.close()
  })

  it('migrates a schema-2 file: mesh_entries is rebuilt without AUTOINCREMENT, entries, order and guards kept', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = await storeWithSettlements(path, 'acct-v2', 5)
    const event = (requestId: string, projectId?: string) => ({
      specificationVersion: 'mesh.usage.v1' as const,
      requestId,
      accountId: 'acct-v2',
      keyId: 'key-1',
      ...(projectId ? { projectId } : {}),
      ingress: 'openai.chat',
      requestedModel: 'm',
      stream: false,
      attempts: [],
      usage: {},
      timings: { startedAt: 1_000, totalMs: 1 },
      status: 200,
    })
    await store.recordUsage([event('req-0'), event('req-1', 'proj-1')])
    const before = await store.entries('acct-v2')
    await store.close()
    // What version 2 had: the same columns, seq AUTOINCREMENT (so sqlite_sequence holds its high mark).
    const raw = new Database(path)
    oldEntriesTable(
      raw,
      `seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL REFERENCES mesh_accounts (id),
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'refund')), amount INTEGER NOT NULL, request_id TEXT, key_id TEXT,
        project_id TEXT, created_at INTEGER NOT NULL, note TEXT`,
    )
    asSchemaVersion(raw, 2)
    raw.exec(`
      DROP INDEX mesh_usage_account; DROP INDEX mesh_usage_project; DROP INDEX mesh_usage_key;
      CREATE INDEX mesh_usage_account ON mesh_usage (account_id, started_at);
      CREATE INDEX mesh_usage_project ON mesh_usage (project_id, started_at);
      CREATE INDEX mesh_usage_key ON mesh_usage (key_id, started_at);`)
    expect(raw.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'mesh_entries'").pluck().get()).toBe(6)
    raw.close()

    const reopened = sqlite({ path })
    expect(await reopened.entries('acct-v2')).toEqual(before)
    expect((await reopened.settle('acct-v2', 'req-0', 10)).created).toBe(false)
    await reopened.settle('acct-v2', 'req-new', 100)
    const after = await reopened.entries('acct-v2')
    expect(after.map((e) => e.requestId)).toEqual([...before.map((e) => e.requestId), 'req-new'])
    expect((await reopened.balance('acct-v2')).balanceMicroUsd).toBe(1_000 - 60 - 100)
    await reopened.recordUsage([event('req-new', 'proj-1'), event('req-5')])
    expect((await reopened.usage({ projectId: 'proj-1' })).map((e) => e.requestId).sort()).toEqual(['req-1', 'req-new'])
    expect((await reopened.usage({ keyId: 'key-1' })).map((e) => e.requestId).sort()).toEqual(['req-0', 'req-1', 'req-5', 'req-new'])
    expect((await reopened.usage({ accountId: 'acct-v2' })).length).toBe(4)
    await reopened.close()
    const file = new Database(path)
    expect(file.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(file.prepare("SELECT sql FROM sqlite_master WHERE name = 'mesh_entries'").pluck().get()).not.toMatch(/AUTOINCREMENT/i)
    expect(file.prepare("SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'mesh_entries'").pluck().get()).toBe(0)
    expect(file.prepare("SELECT seq FROM mesh_entries WHERE request_id = 'req-new'").pluck().get()).toBe(7)
    expectEntriesObjects(file)
    file.close()
    // The usage events are in their own file now, whose indexes are partial (no entry for an event without a project), and still chosen.
    const usageFile = new Database(usageFileOf(path), { readonly: true })
    expect(usageFile.prepare("SELECT sql FROM sqlite_master WHERE name = 'mesh_usage_project'").pluck().get()).toMatch(/WHERE project_id IS NOT NULL$/)
    expect(usageFile.prepare('SELECT COUNT(*) FROM mesh_usage INDEXED BY mesh_usage_project WHERE project_id = ?').pluck().get('proj-1')).toBe(2)
    const plan = usageFile.prepare('EXPLAIN QUERY PLAN SELECT event FROM mesh_usage WHERE project_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all('proj-1', 10) as { detail: string }[]
    expect(plan.map((row) => row.detail).join('; ')).toMatch(/USING INDEX mesh_usage_project/)
    usageFile.close()
  })

  it('migrates a schema-3 file: the kind CHECK no longer builds an ephemeral index per insert; entries, rule and guards kept', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = await storeWithSettlements(path, 'acct-v3', 3)
    const before = await store.entries('acct-v3')
    await store.close()
    // What version 3 had: the same table with the CHECK written as IN (…).
    const raw = new Database(path)
    oldEntriesTable(
      raw,
      `seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL REFERENCES mesh_accounts (id),
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'refund')), amount INTEGER NOT NULL, request_id TEXT, key_id TEXT,
        project_id TEXT, created_at INTEGER NOT NULL, note TEXT`,
    )
    asSchemaVersion(raw, 3)
    const insert = `INSERT INTO mesh_entries (id, account_id, kind, amount, request_id, key_id, project_id, created_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
    const opcodes = (db: Database.Database) => (db.prepare(`EXPLAIN ${insert}`).all(...Array(9).fill(null)) as { opcode: string }[]).map((row) => row.opcode)
    expect(opcodes(raw)).toContain('OpenEphemeral')
    raw.close()

    const reopened = sqlite({ path })
    expect(await reopened.entries('acct-v3')).toEqual(before)
    expect((await reopened.settle('acct-v3', 'req-0', 10)).created).toBe(false)
    await reopened.settle('acct-v3', 'req-new', 100)
    expect((await reopened.entries('acct-v3')).map((e) => e.requestId)).toEqual([...before.map((e) => e.requestId), 'req-new'])
    expect((await reopened.balance('acct-v3')).balanceMicroUsd).toBe(1_000 - 33 - 100)
    await reopened.close()
    const file = new Database(path)
    expect(file.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(opcodes(file)).not.toContain('OpenEphemeral')
    // The rule is the same: every kind the ledger knows, nothing else.
    const account = (kind: string, i: number) => file.prepare(insert).run(`e-${kind}-${i}`, 'acct-v3', kind, 1, null, null, null, 0, null)
    for (const [i, kind] of ['grant', 'purchase', 'usage', 'refund'].entries()) expect(account(kind, i).changes).toBe(1)
    for (const [i, kind] of ['Grant', 'debit', '', 'usage '].entries()) expect(() => account(kind, i)).toThrow(/CHECK constraint failed/)
    expectEntriesObjects(file)
    file.close()
  })

  it('migrates a schema-4 file: usage events get an index by start time alone, which pruneUsage uses; events and debits kept', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = await storeWithSettlements(path, 'acct-v4', 3)
    const usageOf = (i: number) => ({ specificationVersion: 'mesh.usage.v1' as const, requestId: `req-${i}`, accountId: 'acct-v4', ingress: 'openai.chat' as const, requestedModel: 'm', stream: false, attempts: [], usage: {}, timings: { startedAt: 1_000 * (i + 1), totalMs: 1 }, status: 200 })
    await store.recordUsage([0, 1, 2].map(usageOf))
    const entries = await store.entries('acct-v4')
    await store.close()
    const raw = new Database(path)
    asSchemaVersion(raw, 4)
    raw.close()

    const reopened = sqlite({ path })
    expect((await reopened.usage({})).map((e) => e.requestId)).toEqual(['req-2', 'req-1', 'req-0'])
    expect(await reopened.pruneUsage(2_500)).toBe(2)
    expect((await reopened.usage({})).map((e) => e.requestId)).toEqual(['req-2'])
    expect(await reopened.entries('acct-v4')).toEqual(entries)
    await reopened.close()
    const file = new Database(path, { readonly: true })
    expect(file.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    file.close()
    const usageFile = new Database(usageFileOf(path), { readonly: true })
    const plan = usageFile.prepare('EXPLAIN QUERY PLAN SELECT rowid FROM mesh_usage WHERE started_at < ? ORDER BY started_at LIMIT ?').all(2_500, 500) as { detail: string }[]
    expect(plan.map((row) => row.detail).join('; ')).toMatch(/USING COVERING INDEX mesh_usage_started/)
    usageFile.close()
  })

  it('migrates a schema-5 file: its usage events move to their own file (copied, then dropped from the ledger file; a copy interrupted before the drop is made again)', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = await storeWithSettlements(path, 'acct-v5', 2)
    const usageOf = (i: number) => ({ specificationVersion: 'mesh.usage.v1' as const, requestId: `req-${i}`, accountId: 'acct-v5', keyId: i % 2 ? 'key-odd' : undefined, ingress: 'openai.chat' as const, requestedModel: 'm', stream: false, attempts: [], usage: {}, timings: { startedAt: 1_000 * (i + 1), totalMs: 1 }, status: 200 })
    await store.recordUsage([0, 1, 2, 3].map(usageOf))
    const events = await store.usage({})
    const entries = await store.entries('acct-v5')
    await store.close()
    // Version 5: the usage events in the ledger's file, no usage file.
    let raw = new Database(path)
    asSchemaVersion(raw, 5)
    expect(raw.prepare('SELECT COUNT(*) FROM mesh_usage').pluck().get()).toBe(4)
    raw.close()
    expect(existsSync(usageFileOf(path))).toBe(false)

    const reopened = sqlite({ path })
    expect(await reopened.usage({})).toEqual(events)
    expect((await reopened.usage({ keyId: 'key-odd' })).map((e) => e.requestId)).toEqual(['req-3', 'req-1'])
    expect(await reopened.entries('acct-v5')).toEqual(entries)
    await reopened.recordUsage([usageOf(4)])
    await reopened.close()
    const ledgerFile = new Database(path, { readonly: true })
    expect(ledgerFile.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(ledgerFile.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'mesh_usage%'").pluck().get()).toBe(0)
    ledgerFile.close()
    const usageFile = new Database(usageFileOf(path), { readonly: true })
    expect(usageFile.pragma('user_version', { simple: true })).toBe(USAGE_SCHEMA_VERSION)
    expect(usageFile.prepare('SELECT request_id FROM mesh_usage ORDER BY started_at').pluck().all()).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4'])
    usageFile.close()

    // A crash between the copy (committed in the usage file) and the drop: the rows are in both; the next open copies again, no event twice.
    raw = new Database(path)
    asSchemaVersion(raw, 5, { keepUsageFile: true })
    raw.close()
    const again = sqlite({ path })
    expect((await again.usage({})).map((e) => e.requestId)).toEqual(['req-4', 'req-3', 'req-2', 'req-1', 'req-0'])
    await again.close()
  })

  it('keeps usage events in the file usagePath names, and refuses a usagePath that is the ledger file itself', async () => {
    const dir = tempDir()
    const path = join(dir, 'ledger.sqlite')
    const usagePath = join(dir, 'elsewhere', 'events.db')
    const store = sqlite({ path, usagePath })
    await store.recordUsage([{ specificationVersion: 'mesh.usage.v1', requestId: 'u1', timings: { startedAt: 1 } } as unknown as Parameters<typeof store.recordUsage>[0][number]])
    expect((await store.usage({})).map((e) => e.requestId)).toEqual(['u1'])
    await store.close()
    expect(existsSync(`${path}.usage`)).toBe(false)
    const file = new Database(usagePath, { readonly: true })
    expect(file.prepare('SELECT request_id FROM mesh_usage').pluck().all()).toEqual(['u1'])
    file.close()
    // Without usagePath, a name without .db gets .usage appended.
    const plain = sqlite({ path })
    await plain.recordUsage([{ specificationVersion: 'mesh.usage.v1', requestId: 'u2', timings: { startedAt: 2 } } as unknown as Parameters<typeof store.recordUsage>[0][number]])
    await plain.close()
    expect(existsSync(`${path}.usage`)).toBe(true)
    for (const bad of [path, '', ':memory:']) expect(() => sqlite({ path, usagePath: bad })).toThrow(/usagePath/)
    expect(() => sqlite({ path: ':memory:', usagePath: join(dir, 'x.db') })).toThrow(/usagePath/)
  })

  it('the database itself refuses to change or delete a ledger entry', async () => {
    const path = join(tempDir(), 'mesh.db')
    const store = sqlite({ path })
    await store.putAccount({ id: 'a', createdAt: 0 })
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 5 })
    const raw = new Database(path)
    expect(() => raw.prepare('UPDATE mesh_entries SET amount = 500').run()).toThrow(/immutable/)
    expect(() => raw.prepare('DELETE FROM mesh_entries').run()).toThrow(/immutable/)
    raw.close()
    expect((await store.balance('a')).balanceMicroUsd).toBe(5)
    await store.close()
  })

  it('says which file it could not open', async () => {
    await sqlite({ path: join(here, 'durability.test.ts', 'mesh.db') })
      .load('k')
      .then(
        () => expect.fail('opening a path under a file should fail'),
        (error: unknown) => {
          expect(StoreError.isInstance(error)).toBe(true)
          expect(String(error)).toMatch(/cannot open .*durability\.test\.ts\/mesh\.db/)
        },
      )
  })
})
