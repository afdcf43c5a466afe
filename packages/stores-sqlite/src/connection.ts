import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { StoreError } from '@modelmesh/core'
import Database from 'better-sqlite3'
import { migrate } from './schema.js'

export interface ConnectionOptions {
  readonly path: string
  readonly synchronous: 'full' | 'normal'
  readonly busyTimeoutMs: number
}

/** One lazily opened better-sqlite3 handle with a statement cache. */
export interface Connection {
  prepare(sql: string): Database.Statement
  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so no other connection can slip in between a read and the write that depends on it. */
  immediate<T>(fn: () => T): T
  /**
   * Group commit: `fn` runs in the next shared `BEGIN IMMEDIATE` transaction, in its own savepoint
   * (a throw undoes only its own writes), and the promise settles after that transaction commits.
   * Under load many reserves and settles share one fsync instead of paying one each.
   * `volatile` batches (reservation holds: lost with the process anyway) commit without waiting
   * for the disk; the next durable commit flushes them along with its own pages.
   */
  batched<T>(fn: () => T, durability?: 'durable' | 'volatile'): Promise<T>
  /** Runs reads in one deferred transaction: in WAL mode they see one consistent snapshot. */
  snapshot<T>(fn: () => T): T
  close(): void
}

export function openConnection(options: ConnectionOptions, storeName: string): Connection {
  let db: Database.Database | undefined
  let closed = false
  const statements = new Map<string, Database.Statement>()

  const open = (): Database.Database => {
    if (db) return db
    if (closed) throw new StoreError({ code: 'unavailable', store: storeName, message: `${options.path} was closed; create a new store` })
    const memory = options.path === ':memory:'
    const path = memory ? options.path : resolve(options.path)
    try {
      if (!memory) mkdirSync(dirname(path), { recursive: true })
      const handle = new Database(path)
      handle.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
      handle.pragma('journal_mode = WAL')
      handle.pragma(`synchronous = ${options.synchronous.toUpperCase()}`)
      handle.pragma('foreign_keys = ON')
      migrate(handle, path)
      db = handle
      return handle
    } catch (error) {
      throw new StoreError({
        code: 'unavailable',
        store: storeName,
        message: `cannot open ${path}: ${(error as Error).message}. Check that the directory is writable, or pass sqlite({ path }).`,
        cause: error,
      })
    }
  }

  interface Queued {
    fn: () => unknown
    resolve: (value: unknown) => void
    reject: (error: unknown) => void
  }
  const queues: Record<'durable' | 'volatile', Queued[]> = { durable: [], volatile: [] }
  let scheduled = false
  let synchronous = options.synchronous.toUpperCase()
  const setSynchronous = (handle: Database.Database, level: string) => {
    if (synchronous !== level) handle.pragma(`synchronous = ${level}`)
    synchronous = level
  }
  const flush = () => {
    scheduled = false
    // Volatile work first, so a hold taken in this tick is visible to the settles after it.
    for (const kind of ['volatile', 'durable'] as const) {
      const batch = queues[kind]
      queues[kind] = []
      if (batch.length) runBatch(batch, kind)
    }
  }
  const runBatch = (batch: Queued[], kind: 'durable' | 'volatile') => {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    try {
      const handle = open()
      setSynchronous(handle, kind === 'volatile' ? 'OFF' : options.synchronous.toUpperCase())
      handle
        .transaction(() => {
          for (const item of batch) {
            try {
              // A nested better-sqlite3 transaction is a SAVEPOINT, rolled back alone on a throw.
              outcomes.push({ ok: true, value: handle.transaction(item.fn)() })
            } catch (error) {
              outcomes.push({ ok: false, error })
            }
          }
        })
        .immediate()
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) item.resolve(outcome.value)
      else item.reject(outcome.error)
    })
  }

  return {
    batched<T>(fn: () => T, durability: 'durable' | 'volatile' = 'durable'): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queues[durability].push({ fn, resolve: resolve as (value: unknown) => void, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    prepare(sql) {
      const handle = open()
      let statement = statements.get(sql)
      if (!statement) {
        statement = handle.prepare(sql)
        statements.set(sql, statement)
      }
      return statement
    },
    immediate(fn) {
      return open().transaction(fn).immediate()
    },
    snapshot(fn) {
      return open().transaction(fn).deferred()
    },
    close() {
      closed = true
      statements.clear()
      db?.close()
      db = undefined
    },
  }
}
