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

  return {
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
