import { StoreError, type LedgerStoreV1, type StateStoreV1 } from '@modelmesh/core'
import { openConnection } from './connection.js'
import { postgresLedgerMoney } from './ledger-money.js'
import { postgresLedgerRecords } from './ledger-records.js'
import { postgresState } from './state.js'

export interface PostgresStoreOptions {
  /**
   * `postgres://user@host:5432/db`. Default: `DATABASE_URL`, else node-postgres' `PG*`
   * variables. Prefer the environment for credentials: options end up in the compiled config.
   */
  connectionString?: string
  /** Schema holding the `mesh_*` tables, created if missing; default `public`. */
  schema?: string
  /** Connections in the pool; default 10. */
  poolSize?: number
  /** How long to wait for a connection before failing; default 5000 ms. */
  connectTimeoutMs?: number
}

/** The Postgres store plays both the state and the ledger role. */
export type PostgresStore = StateStoreV1 &
  LedgerStoreV1 & {
    readonly roles: { readonly state: 'mesh.state.v1'; readonly ledger: 'mesh.ledger.v1' }
    /** Deletes usage events that started before `before` (`billing.usageRetention`); never ledger entries. */
    pruneUsage(before: number): Promise<number>
    /** Connects and applies pending migrations. Optional: every operation does it on first use. */
    ready(): Promise<void>
    close(): Promise<void>
  }

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * State + ledger in PostgreSQL, for many gateway instances sharing one database. Connects and
 * migrates lazily (versioned migrations recorded in `mesh_migrations`, applied under an advisory
 * lock). Reservations are atomic across instances: each money operation locks the account row (`SELECT … FOR UPDATE`) in one transaction.
 *
 * @example
 * stores: { state: postgres(), ledger: postgres({ schema: 'mesh' }) }
 */
export function postgres(options: PostgresStoreOptions = {}): PostgresStore {
  const schema = options.schema ?? 'public'
  if (!IDENTIFIER.test(schema)) {
    throw new StoreError({ code: 'invalid-input', store: 'postgres store', message: `schema must be a plain SQL identifier (letters, digits, _), found ${JSON.stringify(schema)}` })
  }
  const connection = openConnection({
    connectionString: options.connectionString,
    schema,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
  })
  return {
    specificationVersion: 'mesh.store.v1',
    roles: { state: 'mesh.state.v1', ledger: 'mesh.ledger.v1' },
    descriptor: { package: '@modelmesh/stores-postgres', factory: 'postgres', options },
    ready: connection.ready,
    ...postgresState(connection),
    ...postgresLedgerRecords(connection),
    ...postgresLedgerMoney(connection),
    close: connection.close,
  }
}
