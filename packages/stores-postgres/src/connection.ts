import { StoreError } from '@modelmesh/core'
import pg from 'pg'
import { migrate } from './migrations.js'

export const STORE = 'postgres store'

export interface ConnectionOptions {
  readonly connectionString?: string
  readonly schema: string
  readonly poolSize: number
  readonly connectTimeoutMs: number
}

/** A query runner: the connection (pool), or one client inside a transaction. */
export interface Queryable {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<Row>>
}

export interface Connection extends Queryable {
  /** Fully qualified, quoted table name in the configured schema. */
  table(name: string): string
  /** Runs `fn` in one transaction (READ COMMITTED) on one client; rolls back if it throws. */
  transaction<T>(fn: (client: Queryable) => Promise<T>): Promise<T>
  /** Connects and migrates (once); every operation awaits it. */
  ready(): Promise<void>
  close(): Promise<void>
}

/** Where we connect, without the password: for error messages. */
function describeTarget(connectionString: string | undefined): string {
  if (connectionString) {
    try {
      const url = new URL(connectionString)
      return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`
    } catch {
      return 'the configured connectionString'
    }
  }
  const env = process.env
  return `${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? '5432'}/${env.PGDATABASE ?? env.PGUSER ?? ''} (from PG* environment variables)`
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EAI_AGAIN', '28P01', '28000', '3D000', '57P03'])

export function toStoreError(error: unknown, target: string): unknown {
  if (StoreError.isInstance(error)) return error
  const code = (error as { code?: string }).code
  const message = (error as Error).message ?? String(error)
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)
  if ((code && CONNECTION_CODES.has(code)) || (!sqlState && /timeout|terminated|connect/i.test(message))) {
    return new StoreError({
      code: 'unavailable',
      store: STORE,
      message: `cannot use Postgres at ${target}: ${message}${code ? ` (${code})` : ''}. Check that it is running and the connectionString (or DATABASE_URL / PG* variables) is right.`,
      cause: error,
    })
  }
  return error
}

export function openConnection(options: ConnectionOptions): Connection {
  const connectionString = options.connectionString ?? process.env.DATABASE_URL
  const target = describeTarget(connectionString)
  let pool: pg.Pool | undefined
  let readying: Promise<void> | undefined
  const quotedSchema = pg.escapeIdentifier(options.schema)

  const poolOf = () => {
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: options.poolSize, connectionTimeoutMillis: options.connectTimeoutMs })
      // An idle client losing its connection must not crash the process; the next query reconnects.
      // Added once, with the pool: one listener per query grew without bound.
      pool.on('error', () => {})
    }
    return pool
  }
  const ready = () => {
    readying ??= migrate(poolOf(), options.schema).catch((error: unknown) => {
      readying = undefined // retry on the next operation (the database may come up later)
      throw toStoreError(error, target)
    })
    return readying
  }

  return {
    table: (name) => `${quotedSchema}.${name}`,
    ready,
    async query(sql, params) {
      await ready()
      try {
        return await poolOf().query(sql, params)
      } catch (error) {
        throw toStoreError(error, target)
      }
    },
    async transaction(fn) {
      await ready()
      let client: pg.PoolClient
      try {
        client = await poolOf().connect()
      } catch (error) {
        throw toStoreError(error, target)
      }
      try {
        await client.query('BEGIN')
        const result = await fn(client as Queryable)
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw toStoreError(error, target)
      } finally {
        client.release()
      }
    },
    async close() {
      const open = pool
      pool = undefined
      readying = undefined
      await open?.end()
    },
  }
}

/** BIGINT and SUM() come back from pg as strings; money must stay an exact integer. */
export function int(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(number)) throw new StoreError({ code: 'unavailable', store: STORE, message: `the database returned ${String(value)} where a safe integer was expected` })
  return number
}
