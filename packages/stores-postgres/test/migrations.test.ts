import { StoreError } from '@modelmesh/core'
import pg from 'pg'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { postgres, SCHEMA_VERSION } from '../src/index.js'
import { connectionString, dropSchema, freshSchema, openStore, withAdmin } from './support/database.js'

const schemas: string[] = []
const schema = () => {
  const name = freshSchema()
  schemas.push(name)
  return name
}
afterAll(async () => {
  for (const name of schemas) await dropSchema(name)
})

describe('postgres migrations and connection', () => {
  it('five instances starting together on a new schema migrate it exactly once', async () => {
    const name = schema()
    const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(name)))
    const { rows } = await withAdmin((client) => client.query(`SELECT version, name FROM ${pg.escapeIdentifier(name)}.mesh_migrations ORDER BY version`))
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1))
    await Promise.all(stores.map((store) => store.close()))
    const again = await openStore(name)
    await again.save('k', 'v')
    expect(await again.load('k')).toBe('v')
    await again.close()
  })

  it('listens for pool errors once per pool, not once per query', async () => {
    const on = vi.spyOn(pg.Pool.prototype, 'on')
    try {
      const store = await openStore(schema())
      for (let i = 0; i < 30; i++) await store.save(`k${i}`, 'v')
      expect(on.mock.calls.filter(([event]) => event === 'error')).toHaveLength(1)
      await store.close()
    } finally {
      on.mockRestore()
    }
  })

  it('refuses a schema migrated by a newer version of the package', async () => {
    const name = schema()
    await (await openStore(name)).close()
    await withAdmin((client) => client.query(`INSERT INTO ${pg.escapeIdentifier(name)}.mesh_migrations (version, name) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]))
    const store = postgres({ connectionString, schema: name })
    const error = await store.load('k').catch((e: unknown) => e)
    expect(StoreError.isInstance(error), String(error)).toBe(true)
    expect(String(error)).toMatch(/newer than this @modelmesh\/stores-postgres understands/)
    await store.close()
  })

  it('the database itself refuses to change, delete or truncate a ledger entry', async () => {
    const name = schema()
    const store = await openStore(name)
    await store.putAccount({ id: 'a', createdAt: 0 })
    await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd: 5 })
    const table = `${pg.escapeIdentifier(name)}.mesh_entries`
    for (const statement of [`UPDATE ${table} SET amount = 500`, `DELETE FROM ${table}`, `TRUNCATE ${table}`]) {
      await expect(withAdmin((client) => client.query(statement))).rejects.toThrow(/immutable/)
    }
    expect((await store.balance('a')).balanceMicroUsd).toBe(5)
    await store.close()
  })

  it('stores money as BIGINT: amounts beyond 2^31 micro-USD stay exact', async () => {
    const store = await openStore(schema())
    await store.putAccount({ id: 'whale', createdAt: 0 })
    await store.append({ accountId: 'whale', kind: 'purchase', amountMicroUsd: 9_000_000_000_123 })
    expect(await store.reserve('whale', 'r', 4_000_000_000_000)).toMatchObject({ ok: true })
    await store.settle('whale', 'r', 3_999_999_999_999)
    expect(await store.balance('whale')).toEqual({ balanceMicroUsd: 5_000_000_000_124, reservedMicroUsd: 0, availableMicroUsd: 5_000_000_000_124 })
    await store.close()
  })

  it('an unreachable server gives a StoreError naming host and port, never the password', async () => {
    const store = postgres({ connectionString: 'postgres://mesh:hunter2@127.0.0.1:1/test', connectTimeoutMs: 1_000 })
    const error = await store.balance('a').catch((e: unknown) => e)
    expect(StoreError.isInstance(error), String(error)).toBe(true)
    expect((error as StoreError).code).toBe('unavailable')
    expect(String(error)).toMatch(/127\.0\.0\.1:1\/test/)
    expect(String(error)).not.toMatch(/hunter2/)
    await store.close()
  })

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => postgres({ schema: 'x"; DROP TABLE y; --' })).toThrow(/plain SQL identifier/)
  })
})
