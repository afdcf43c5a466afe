import type { LedgerStoreV1, StateStoreV1 } from '@modelmesh/core'
import { openConnection } from './connection.js'
import { sqliteLedgerMoney } from './ledger-money.js'
import { sqliteLedgerRecords } from './ledger-records.js'
import { sqliteState } from './state.js'

export interface SqliteStoreOptions {
  /** Database file; default `.mesh/mesh.db` (relative to the working directory, created with its folder). `:memory:` for a private in-memory database. */
  path?: string
  /**
   * When a commit counts as done (the database is always in WAL mode):
   *
   * - `normal` (default): a commit is written to the WAL before it is acknowledged, but not
   *   fsynced. An acknowledged ledger entry survives a crash of the gateway process (`kill -9`,
   *   an exception, OOM); the last commits — those since the last checkpoint fsynced the WAL, a
   *   fraction of a second — can be lost on an OS crash or power loss. No fsync on the request
   *   path: the only ones left are WAL checkpoints, which a worker thread takes in the background.
   * - `full`: every commit is fsynced before it is acknowledged (group commit: one fsync per
   *   batch of concurrent requests), so an acknowledged entry also survives power loss, at the
   *   price of that fsync on the event loop — every request in flight waits for it.
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
    { path: options.path ?? '.mesh/mesh.db', synchronous: options.synchronous ?? 'normal', busyTimeoutMs: options.busyTimeoutMs ?? 5_000 },
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
      await connection.close()
    },
  }
}
