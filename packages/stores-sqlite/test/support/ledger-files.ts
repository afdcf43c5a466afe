import Database from 'better-sqlite3'
import type { SqliteStore } from '../../src/index.js'

/** The first column of a query's rows, read through a read-only connection of its own (what another process would see). */
export function readColumn(path: string, sql: string): unknown[] {
  const raw = new Database(path, { readonly: true })
  try {
    return raw.prepare(sql).pluck().all()
  } finally {
    raw.close()
  }
}

/** Request ids of the usage debits stored in the file, in order. */
export const storedUsage = (path: string) => readColumn(path, "SELECT request_id FROM mesh_entries WHERE kind = 'usage' ORDER BY seq")

/** Creates account `a` with a grant of `amountMicroUsd` (1,000 by default); returns the store. */
export async function withAccountA<T extends SqliteStore>(store: T, amountMicroUsd = 1_000): Promise<T> {
  await store.putAccount({ id: 'a', createdAt: 0 })
  await store.append({ accountId: 'a', kind: 'grant', amountMicroUsd })
  return store
}
