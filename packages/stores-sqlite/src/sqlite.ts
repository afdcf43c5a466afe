import type { LedgerStoreV1, StateStoreV1 } from '@modelmesh/core'
import { openConnection } from './connection.js'
import { sqliteLedgerMoney } from './ledger-money.js'
import { sqliteLedgerRecords } from './ledger-records.js'
import { sqliteState } from './state.js'

export interface SqliteStoreOptions {
  /** Database file; default `.mesh/mesh.db` (relative to the working directory, created with its folder). `:memory:` for a private in-memory database. */
  path?: string
  /**
   * `full` (default): every commit is fsynced before it is acknowledged, so an acknowledged
   * ledger entry survives `kill -9` and power loss. `normal`: in WAL mode commits survive a
   * process crash but the last ones can be lost on power loss or an OS crash; faster writes.
   */
  synchronous?: 'full' | 'normal'
  /** How long a write waits for another connection's transaction before failing; default 5000 ms. */
  busyTimeoutMs?: number
}

/** The SQLite store plays both the state and the ledger role. */
export type SqliteStore = StateStoreV1 &
  LedgerStoreV1 & {
    readonly roles: { readonly state: 'mesh.state.v1'; readonly ledger: 'mesh.ledger.v1' }
    close(): Promise<void>
  }

/**
 * The embedded default store: state + ledger in one SQLite file (WAL mode), opened on first use.
 * Several processes may open the same file; writes are serialised by SQLite's write lock and
 * every money operation is one `BEGIN IMMEDIATE` transaction.
 *
 * @example
 * stores: { state: sqlite(), ledger: sqlite() }
 */
export function sqlite(options: SqliteStoreOptions = {}): SqliteStore {
  const connection = openConnection(
    { path: options.path ?? '.mesh/mesh.db', synchronous: options.synchronous ?? 'full', busyTimeoutMs: options.busyTimeoutMs ?? 5_000 },
    'sqlite store',
  )
  return {
    specificationVersion: 'mesh.store.v1',
    roles: { state: 'mesh.state.v1', ledger: 'mesh.ledger.v1' },
    descriptor: { package: '@modelmesh/stores-sqlite', factory: 'sqlite', options },
    ...sqliteState(connection),
    ...sqliteLedgerRecords(connection),
    ...sqliteLedgerMoney(connection),
    async close() {
      connection.close()
    },
  }
}
