import { checkLockTtl, checkStateName, checkStateValue, type StateStoreV1 } from '@modelmesh/core'
import type { Connection } from './connection.js'
import { int } from './connection.js'

const STORE = 'postgres state'

type StateMethods = Omit<StateStoreV1, 'specificationVersion' | 'roles' | 'descriptor' | 'close'>

/** `\`, `%` and `_` are LIKE's special characters; escaped, the prefix matches itself only. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export function postgresState(db: Connection): StateMethods {
  const state = db.table('mesh_state')
  const locks = db.table('mesh_locks')
  return {
    async load(key) {
      checkStateName(STORE, 'key', key)
      const { rows } = await db.query<{ value: string }>(`SELECT value FROM ${state} WHERE key = $1`, [key])
      return rows[0]?.value
    },
    async save(key, value) {
      checkStateName(STORE, 'key', key)
      checkStateValue(STORE, key, value)
      await db.query(
        `INSERT INTO ${state} (key, value, size, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, size = EXCLUDED.size, updated_at = EXCLUDED.updated_at`,
        [key, value, Buffer.byteLength(value), Date.now()],
      )
    },
    async list(prefix) {
      if (typeof prefix !== 'string') checkStateName(STORE, 'prefix', prefix)
      // The key column is COLLATE "C": LIKE is case-sensitive and ORDER BY is by code point, as in every store.
      const { rows } = await db.query<{ key: string }>(`SELECT key FROM ${state} WHERE key LIKE $1 ORDER BY key`, [likePrefix(prefix)])
      return rows.map((row) => row.key)
    },
    async delete(key) {
      checkStateName(STORE, 'key', key)
      return ((await db.query(`DELETE FROM ${state} WHERE key = $1`, [key])).rowCount ?? 0) > 0
    },
    async stat(key) {
      checkStateName(STORE, 'key', key)
      const { rows } = await db.query<{ size: number; updated_at: string }>(`SELECT size, updated_at FROM ${state} WHERE key = $1`, [key])
      return rows[0] ? { size: rows[0].size, updatedAt: int(rows[0].updated_at) } : undefined
    },
    async exists(key) {
      checkStateName(STORE, 'key', key)
      return ((await db.query(`SELECT 1 FROM ${state} WHERE key = $1`, [key])).rowCount ?? 0) > 0
    },
    async acquireLock(lock, owner, ttlMs) {
      checkStateName(STORE, 'lock', lock)
      checkStateName(STORE, 'owner', owner)
      checkLockTtl(STORE, ttlMs)
      const now = Date.now()
      // One statement: take a free or expired lock, or refresh one's own. A concurrent insert of the
      // same name waits for the first and then sees the conflict, so exactly one owner wins.
      const result = await db.query(
        `INSERT INTO ${locks} AS l (name, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE l.owner = EXCLUDED.owner OR l.expires_at <= $4`,
        [lock, owner, now + ttlMs, now],
      )
      return (result.rowCount ?? 0) > 0
    },
    async releaseLock(lock, owner) {
      checkStateName(STORE, 'lock', lock)
      checkStateName(STORE, 'owner', owner)
      const result = await db.query(`DELETE FROM ${locks} WHERE name = $1 AND owner = $2 AND expires_at > $3`, [lock, owner, Date.now()])
      return (result.rowCount ?? 0) > 0
    },
    async isLocked(lock) {
      checkStateName(STORE, 'lock', lock)
      return ((await db.query(`SELECT 1 FROM ${locks} WHERE name = $1 AND expires_at > $2`, [lock, Date.now()])).rowCount ?? 0) > 0
    },
  }
}
