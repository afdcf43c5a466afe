import { StoreError } from '@modelmesh/core'
import pg from 'pg'

export interface Migration {
  readonly version: number
  readonly name: string
  /** SQL with `$schema` standing for the quoted schema name. */
  readonly sql: string
}

/** Append new versions; never edit a shipped one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state, ledger and usage tables',
    sql: `
    CREATE TABLE $schema.mesh_state (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL, size INTEGER NOT NULL, updated_at BIGINT NOT NULL);
    CREATE TABLE $schema.mesh_locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL);

    CREATE TABLE $schema.mesh_accounts (id TEXT PRIMARY KEY, record JSONB NOT NULL, balance BIGINT NOT NULL DEFAULT 0);
    CREATE TABLE $schema.mesh_projects (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, record JSONB NOT NULL);
    CREATE INDEX ON $schema.mesh_projects (account_id);
    CREATE TABLE $schema.mesh_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, project_id TEXT, record JSONB NOT NULL);
    CREATE INDEX ON $schema.mesh_keys (account_id);
    CREATE INDEX ON $schema.mesh_keys (project_id);

    CREATE TABLE $schema.mesh_entries (
      seq BIGSERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      account_id TEXT NOT NULL REFERENCES $schema.mesh_accounts (id),
      kind TEXT NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'refund')),
      amount BIGINT NOT NULL,
      request_id TEXT,
      key_id TEXT,
      project_id TEXT,
      created_at BIGINT NOT NULL,
      note TEXT
    );
    CREATE UNIQUE INDEX mesh_entries_request ON $schema.mesh_entries (kind, request_id) WHERE request_id IS NOT NULL;
    CREATE INDEX ON $schema.mesh_entries (account_id, seq);
    CREATE FUNCTION $schema.mesh_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS
      'BEGIN RAISE EXCEPTION ''ledger entries are immutable''; END';
    CREATE TRIGGER mesh_entries_no_change BEFORE UPDATE OR DELETE ON $schema.mesh_entries FOR EACH ROW EXECUTE FUNCTION $schema.mesh_entries_immutable();
    CREATE TRIGGER mesh_entries_no_truncate BEFORE TRUNCATE ON $schema.mesh_entries FOR EACH STATEMENT EXECUTE FUNCTION $schema.mesh_entries_immutable();

    CREATE TABLE $schema.mesh_reservations (
      request_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      amount BIGINT NOT NULL,
      key_id TEXT,
      project_id TEXT,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX ON $schema.mesh_reservations (account_id, expires_at);
    CREATE INDEX ON $schema.mesh_reservations (key_id);
    CREATE INDEX ON $schema.mesh_reservations (project_id);

    -- Settled usage per scope ('key:<id>', 'project:<id>', 'account:<id>') and bucket ('d:2030-01-15', 'm:2030-01', 'total'),
    -- maintained in the transaction that writes the usage entry, so cap checks read one row.
    CREATE TABLE $schema.mesh_spend (scope TEXT NOT NULL, bucket TEXT NOT NULL, amount BIGINT NOT NULL, PRIMARY KEY (scope, bucket));

    CREATE TABLE $schema.mesh_usage (request_id TEXT PRIMARY KEY, account_id TEXT, project_id TEXT, key_id TEXT, started_at BIGINT NOT NULL, event JSONB NOT NULL);
    CREATE INDEX ON $schema.mesh_usage (account_id, started_at);
    CREATE INDEX ON $schema.mesh_usage (project_id, started_at);
    CREATE INDEX ON $schema.mesh_usage (key_id, started_at);
    `,
  },
  {
    version: 2,
    name: 'usage events by start time (usage retention)',
    // pruneUsage deletes by started_at alone; without this index each run would scan the table.
    sql: `
    CREATE INDEX mesh_usage_started ON $schema.mesh_usage (started_at);
    `,
  },
]

export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * Applies the missing migrations in one transaction under a transaction-scoped advisory lock
 * (keyed by the schema), so instances starting together migrate once and the others wait.
 * Each applied version is a row of `mesh_migrations`.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const quoted = pg.escapeIdentifier(schema)
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query("SELECT pg_advisory_xact_lock(hashtext('modelmesh.migrations'), hashtext($1))", [schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.mesh_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${quoted}.mesh_migrations`)
    const applied = new Set(rows.map((row) => row.version))
    const newest = Math.max(0, ...applied)
    if (newest > SCHEMA_VERSION) {
      throw new StoreError({
        code: 'unavailable',
        store: 'postgres store',
        message: `schema ${schema} is at version ${newest}, newer than this @modelmesh/stores-postgres understands (${SCHEMA_VERSION}); upgrade the package`,
      })
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue
      await client.query(migration.sql.replaceAll('$schema', quoted))
      await client.query(`INSERT INTO ${quoted}.mesh_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name])
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
