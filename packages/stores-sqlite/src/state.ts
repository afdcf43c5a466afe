import { checkLockTtl, checkStateName, checkStateValue, type StateStoreV1 } from '@modelmesh/core'
import type { Connection } from './connection.js'

const STORE = 'sqlite state'

type StateMethods = Omit<StateStoreV1, 'specificationVersion' | 'roles' | 'descriptor' | 'close'>

/** `*`, `?` and `[` are GLOB wildcards; a one-character class makes each literal. */
const globPrefix = (prefix: string) => `${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`

export function sqliteState(db: Connection): StateMethods {
  return {
    async load(key) {
      checkStateName(STORE, 'key', key)
      const row = db.prepare('SELECT value FROM mesh_state WHERE key = ?').get(key) as { value: string } | undefined
      return row?.value
    },
    async save(key, value) {
      checkStateName(STORE, 'key', key)
      checkStateValue(STORE, key, value)
      db
        .prepare('INSERT INTO mesh_state (key, value, size, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, size = excluded.size, updated_at = excluded.updated_at')
        .run(key, value, Buffer.byteLength(value), Date.now())
    },
    async list(prefix) {
      if (typeof prefix !== 'string') checkStateName(STORE, 'prefix', prefix)
      // GLOB (unlike LIKE) is case-sensitive, and can use the primary key index for a prefix.
      const rows = db.prepare('SELECT key FROM mesh_state WHERE key GLOB ? ORDER BY key').all(globPrefix(prefix)) as { key: string }[]
      return rows.map((row) => row.key)
    },
    async delete(key) {
      checkStateName(STORE, 'key', key)
      return db.prepare('DELETE FROM mesh_state WHERE key = ?').run(key).changes > 0
    },
    async stat(key) {
      checkStateName(STORE, 'key', key)
      const row = db.prepare('SELECT size, updated_at FROM mesh_state WHERE key = ?').get(key) as { size: number; updated_at: number } | undefined
      return row ? { size: row.size, updatedAt: row.updated_at } : undefined
    },
    async exists(key) {
      checkStateName(STORE, 'key', key)
      return db.prepare('SELECT 1 FROM mesh_state WHERE key = ?').get(key) !== undefined
    },
    async acquireLock(lock, owner, ttlMs) {
      checkStateName(STORE, 'lock', lock)
      checkStateName(STORE, 'owner', owner)
      checkLockTtl(STORE, ttlMs)
      const now = Date.now()
      // One statement: take a free or expired lock, or refresh one's own; otherwise change nothing.
      const result = db
        .prepare(
          `INSERT INTO mesh_locks (name, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE mesh_locks.owner = excluded.owner OR mesh_locks.expires_at <= ?`,
        )
        .run(lock, owner, now + ttlMs, now)
      return result.changes > 0
    },
    async releaseLock(lock, owner) {
      checkStateName(STORE, 'lock', lock)
      checkStateName(STORE, 'owner', owner)
      return db.prepare('DELETE FROM mesh_locks WHERE name = ? AND owner = ? AND expires_at > ?').run(lock, owner, Date.now()).changes > 0
    },
    async isLocked(lock) {
      checkStateName(STORE, 'lock', lock)
      return db.prepare('SELECT 1 FROM mesh_locks WHERE name = ? AND expires_at > ?').get(lock, Date.now()) !== undefined
    },
  }
}
