import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { postgres, type PostgresStore } from '../../src/index.js'

/**
 * The test database: MESH_TEST_POSTGRES_URL, else the PG* variables when PGHOST is set, else the
 * project's local default. There is no skip: when Postgres is unreachable these tests fail.
 */
export const connectionString = process.env.MESH_TEST_POSTGRES_URL ?? (process.env.PGHOST ? undefined : 'postgres://postgres@127.0.0.1:5432/test')

/** A schema name no other run uses; every test file drops what it created. */
export const freshSchema = () => `mesh_test_${randomBytes(6).toString('hex')}`

export async function openStore(schema: string): Promise<PostgresStore> {
  const store = postgres({ connectionString, schema })
  await store.ready()
  return store
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export const dropSchema = (schema: string) => withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)).then(() => undefined)
