import {
  checkAccountRecord,
  checkKeyRecord,
  checkProjectRecord,
  compact,
  pruneUsageInBatches,
  StoreError,
  type LedgerStoreV1,
  type UsageEvent,
  type VirtualKeyRecord,
} from '@modelmesh/core'
import type { Connection } from './connection.js'

const STORE = 'sqlite ledger'

type RecordMethods = Pick<
  LedgerStoreV1,
  'putAccount' | 'getAccount' | 'listAccounts' | 'putProject' | 'getProject' | 'listProjects' | 'putKey' | 'getKey' | 'findKeyByHash' | 'listKeys' | 'revokeKey' | 'rotateKey' | 'recordUsage' | 'usage'
> & { pruneUsage(before: number): Promise<number> }

const parse = <T>(row: { record: string } | undefined): T | undefined => (row ? (JSON.parse(row.record) as T) : undefined)
const parseAll = <T>(rows: unknown[]): T[] => (rows as { record: string }[]).map((row) => JSON.parse(row.record) as T)

/** A WHERE clause of the given equalities and conditions, skipping undefined values (so indexes stay usable). */
function whereOf(equal: Record<string, string | undefined>, extra: [string, number | undefined][] = []): { sql: string; params: (string | number)[] } {
  const parts: string[] = []
  const params: (string | number)[] = []
  for (const [column, value] of Object.entries(equal)) if (value !== undefined) parts.push(`${column} = ?`), params.push(value)
  for (const [condition, value] of extra) if (value !== undefined) parts.push(condition), params.push(value)
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params }
}

const INSERT_USAGE = 'INSERT INTO mesh_usage (request_id, account_id, project_id, key_id, started_at, event) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING'
/** The index of `event` (the JSON text) among INSERT_USAGE's parameters. */
const USAGE_EVENT_COLUMN = 5
/** The oldest usage rows started before ? (at most ? of them), by the start-time index. */
const PRUNE_USAGE = 'DELETE FROM mesh_usage WHERE rowid IN (SELECT rowid FROM mesh_usage WHERE started_at < ? ORDER BY started_at LIMIT ?)'
/**
 * Rows a prune deletes per transaction: the write lock is held a few milliseconds at a time
 * (group commits wait for it), not for as long as the whole backlog takes.
 */
const PRUNE_BATCH = 500

export function sqliteLedgerRecords(db: Connection): RecordMethods {
  const writeKey = (key: VirtualKeyRecord) => {
    const owner = db.prepare('SELECT id FROM mesh_keys WHERE hash = ?').get(key.hash) as { id: string } | undefined
    if (owner && owner.id !== key.id) {
      throw new StoreError({ code: 'conflict', store: STORE, message: `key "${key.id}": its hash already belongs to key "${owner.id}"; generate a new key` })
    }
    db.prepare(
      `INSERT INTO mesh_keys (id, hash, account_id, project_id, record) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, account_id = excluded.account_id, project_id = excluded.project_id, record = excluded.record`,
    ).run(key.id, key.hash, key.accountId, key.projectId ?? null, JSON.stringify(compact(key)))
  }
  const readKey = (id: string) => parse<VirtualKeyRecord>(db.prepare('SELECT record FROM mesh_keys WHERE id = ?').get(id) as { record: string } | undefined)

  return {
    async putAccount(account) {
      checkAccountRecord(STORE, account)
      db.prepare('INSERT INTO mesh_accounts (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record').run(account.id, JSON.stringify(compact(account)))
    },
    async getAccount(id) {
      return parse(db.prepare('SELECT record FROM mesh_accounts WHERE id = ?').get(id) as { record: string } | undefined)
    },
    async listAccounts() {
      return parseAll(db.prepare('SELECT record FROM mesh_accounts ORDER BY id').all())
    },
    async putProject(project) {
      checkProjectRecord(STORE, project)
      db.prepare('INSERT INTO mesh_projects (id, account_id, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, record = excluded.record').run(
        project.id,
        project.accountId,
        JSON.stringify(compact(project)),
      )
    },
    async getProject(id) {
      return parse(db.prepare('SELECT record FROM mesh_projects WHERE id = ?').get(id) as { record: string } | undefined)
    },
    async listProjects(accountId) {
      return accountId === undefined
        ? parseAll(db.prepare('SELECT record FROM mesh_projects ORDER BY id').all())
        : parseAll(db.prepare('SELECT record FROM mesh_projects WHERE account_id = ? ORDER BY id').all(accountId))
    },

    async putKey(key) {
      checkKeyRecord(STORE, key)
      db.immediate(() => writeKey(key))
    },
    async getKey(id) {
      return readKey(id)
    },
    async findKeyByHash(hash) {
      return parse(db.prepare('SELECT record FROM mesh_keys WHERE hash = ?').get(hash) as { record: string } | undefined)
    },
    async listKeys(filter = {}) {
      const where = whereOf({ account_id: filter.accountId, project_id: filter.projectId })
      return parseAll(db.prepare(`SELECT record FROM mesh_keys ${where.sql} ORDER BY id`).all(...where.params))
    },
    async revokeKey(id, at) {
      return db.immediate(() => {
        const key = readKey(id)
        if (!key || key.revokedAt !== undefined) return key
        const revoked = { ...key, revokedAt: at }
        checkKeyRecord(STORE, revoked)
        writeKey(revoked)
        return revoked
      })
    },
    async rotateKey(oldId, next, oldExpiresAt) {
      checkKeyRecord(STORE, next)
      return db.immediate(() => {
        const old = readKey(oldId)
        if (!old) return undefined
        const rotated = { ...old, expiresAt: Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, oldExpiresAt), replacedBy: next.id }
        checkKeyRecord(STORE, rotated)
        writeKey(next)
        writeKey(rotated)
        return rotated
      })
    },

    async recordUsage(events) {
      for (const event of events) {
        if (typeof event?.requestId !== 'string' || event.requestId === '') throw new StoreError({ code: 'invalid-input', store: STORE, message: 'every usage event needs a requestId' })
      }
      if (events.length === 0) return 0
      const rows = events.map((e) => [e.requestId, e.accountId ?? null, e.projectId ?? null, e.keyId ?? null, e.timings.startedAt, e] as const)
      // All events or none, in one transaction of the usage database: off the event loop while the
      // checkpoint worker runs (a gateway that writes enough to have one), else on this thread in a
      // later turn of the event loop. The event's JSON text is made by the thread that writes it.
      return db.writeRows(INSERT_USAGE, rows, USAGE_EVENT_COLUMN)
    },
    async pruneUsage(before) {
      // Like the usage rows themselves: in the checkpoint worker while it runs, else on this
      // thread; one short transaction per PRUNE_BATCH rows.
      return pruneUsageInBatches(STORE, before, PRUNE_BATCH, (cutoff, limit) => db.writeRows(PRUNE_USAGE, [[cutoff, limit]]))
    },
    async usage(query) {
      const where = whereOf({ account_id: query.accountId, project_id: query.projectId, key_id: query.keyId }, [
        ['started_at >= ?', query.since],
        ['started_at < ?', query.until],
      ])
      const rows = db
        .prepareUsage(`SELECT event FROM mesh_usage ${where.sql} ORDER BY started_at DESC, rowid DESC LIMIT ?`)
        .all(...where.params, query.limit ?? 1000) as { event: string }[]
      return rows.map((row) => JSON.parse(row.event) as UsageEvent)
    },
  }
}
