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
import type { Connection, Queryable } from './connection.js'

const STORE = 'postgres ledger'

type RecordMethods = Pick<
  LedgerStoreV1,
  'putAccount' | 'getAccount' | 'listAccounts' | 'putProject' | 'getProject' | 'listProjects' | 'putKey' | 'getKey' | 'findKeyByHash' | 'listKeys' | 'revokeKey' | 'rotateKey' | 'recordUsage' | 'usage'
> & { pruneUsage(before: number): Promise<number> }

/** Rows a prune deletes per statement (its own transaction): locks are held briefly, and a large backlog goes in steps. */
const PRUNE_BATCH = 5_000

/** A WHERE clause of the given equalities and conditions (`?` becomes `$n`), skipping undefined values. */
function whereOf(equal: Record<string, string | undefined>, extra: [string, number | undefined][] = []): { sql: string; params: (string | number)[] } {
  const parts: string[] = []
  const params: (string | number)[] = []
  for (const [column, value] of Object.entries(equal)) if (value !== undefined) params.push(value), parts.push(`${column} = $${params.length}`)
  for (const [condition, value] of extra) if (value !== undefined) params.push(value), parts.push(condition.replace('?', `$${params.length}`))
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params }
}

export function postgresLedgerRecords(db: Connection): RecordMethods {
  const [accounts, projects, keys, usageTable] = ['mesh_accounts', 'mesh_projects', 'mesh_keys', 'mesh_usage'].map(db.table) as [string, string, string, string]

  const records = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query<{ record: T }>(sql, params)).rows.map((row) => row.record)
  const readKey = async (client: Queryable, id: string, lock = false) =>
    (await client.query<{ record: VirtualKeyRecord }>(`SELECT record FROM ${keys} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])).rows[0]?.record
  const writeKey = async (client: Queryable, key: VirtualKeyRecord) => {
    const owner = (await client.query<{ id: string }>(`SELECT id FROM ${keys} WHERE hash = $1`, [key.hash])).rows[0]
    if (owner && owner.id !== key.id) {
      throw new StoreError({ code: 'conflict', store: STORE, message: `key "${key.id}": its hash already belongs to key "${owner.id}"; generate a new key` })
    }
    await client.query(
      `INSERT INTO ${keys} (id, hash, account_id, project_id, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash, account_id = EXCLUDED.account_id, project_id = EXCLUDED.project_id, record = EXCLUDED.record`,
      [key.id, key.hash, key.accountId, key.projectId ?? null, JSON.stringify(compact(key))],
    )
  }
  /** The UNIQUE index on hash is the last word when two instances race for one hash. */
  const keyConflict = (error: unknown, key: VirtualKeyRecord) =>
    (error as { code?: string }).code === '23505' ? new StoreError({ code: 'conflict', store: STORE, message: `key "${key.id}": its hash already belongs to another key; generate a new key`, cause: error }) : error

  return {
    async putAccount(account) {
      checkAccountRecord(STORE, account)
      await db.query(`INSERT INTO ${accounts} (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record`, [account.id, JSON.stringify(compact(account))])
    },
    async getAccount(id) {
      return (await records<never>(`SELECT record FROM ${accounts} WHERE id = $1`, [id]))[0]
    },
    async listAccounts() {
      return records(`SELECT record FROM ${accounts} ORDER BY id COLLATE "C"`)
    },
    async putProject(project) {
      checkProjectRecord(STORE, project)
      await db.query(`INSERT INTO ${projects} (id, account_id, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET account_id = EXCLUDED.account_id, record = EXCLUDED.record`, [
        project.id,
        project.accountId,
        JSON.stringify(compact(project)),
      ])
    },
    async getProject(id) {
      return (await records<never>(`SELECT record FROM ${projects} WHERE id = $1`, [id]))[0]
    },
    async listProjects(accountId) {
      const where = whereOf({ account_id: accountId })
      return records(`SELECT record FROM ${projects} ${where.sql} ORDER BY id COLLATE "C"`, where.params)
    },

    async putKey(key) {
      checkKeyRecord(STORE, key)
      await db.transaction((client) => writeKey(client, key)).catch((error: unknown) => Promise.reject(keyConflict(error, key)))
    },
    async getKey(id) {
      return readKey(db, id)
    },
    async findKeyByHash(hash) {
      return (await records<never>(`SELECT record FROM ${keys} WHERE hash = $1`, [hash]))[0]
    },
    async listKeys(filter = {}) {
      const where = whereOf({ account_id: filter.accountId, project_id: filter.projectId })
      return records(`SELECT record FROM ${keys} ${where.sql} ORDER BY id COLLATE "C"`, where.params)
    },
    async revokeKey(id, at) {
      return db.transaction(async (client) => {
        const key = await readKey(client, id, true)
        if (!key || key.revokedAt !== undefined) return key
        const revoked = { ...key, revokedAt: at }
        checkKeyRecord(STORE, revoked)
        await writeKey(client, revoked)
        return revoked
      })
    },
    async rotateKey(oldId, next, oldExpiresAt) {
      checkKeyRecord(STORE, next)
      return db
        .transaction(async (client) => {
          const old = await readKey(client, oldId, true)
          if (!old) return undefined
          const rotated = { ...old, expiresAt: Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, oldExpiresAt), replacedBy: next.id }
          checkKeyRecord(STORE, rotated)
          await writeKey(client, next)
          await writeKey(client, rotated)
          return rotated
        })
        .catch((error: unknown) => Promise.reject(keyConflict(error, next)))
    },

    async recordUsage(events) {
      for (const event of events) {
        if (typeof event?.requestId !== 'string' || event.requestId === '') throw new StoreError({ code: 'invalid-input', store: STORE, message: 'every usage event needs a requestId' })
      }
      if (events.length === 0) return 0
      // One statement for the batch; ON CONFLICT DO NOTHING also skips duplicates inside it.
      const result = await db.query(
        `INSERT INTO ${usageTable} (request_id, account_id, project_id, key_id, started_at, event)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
         ON CONFLICT (request_id) DO NOTHING`,
        [
          events.map((e) => e.requestId),
          events.map((e) => e.accountId ?? null),
          events.map((e) => e.projectId ?? null),
          events.map((e) => e.keyId ?? null),
          events.map((e) => e.timings.startedAt),
          events.map((e) => JSON.stringify(e)),
        ],
      )
      return result.rowCount ?? 0
    },
    async pruneUsage(before) {
      // By the start-time index (migration 2); SKIP LOCKED: two gateways pruning at once take different rows.
      const sql = `DELETE FROM ${usageTable} WHERE request_id IN (SELECT request_id FROM ${usageTable} WHERE started_at < $1 ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`
      return pruneUsageInBatches(STORE, before, PRUNE_BATCH, async (cutoff, limit) => (await db.query(sql, [Math.ceil(cutoff), limit])).rowCount ?? 0)
    },
    async usage(query) {
      const where = whereOf({ account_id: query.accountId, project_id: query.projectId, key_id: query.keyId }, [
        ['started_at >= ?', query.since],
        ['started_at < ?', query.until],
      ])
      const { rows } = await db.query<{ event: UsageEvent }>(
        `SELECT event FROM ${usageTable} ${where.sql} ORDER BY started_at DESC, request_id DESC LIMIT $${where.params.length + 1}`,
        [...where.params, query.limit ?? 1000],
      )
      return rows.map((row) => row.event)
    },
  }
}
