import type Database from 'better-sqlite3'

/**
 * Versioned schema, applied in order inside one `BEGIN IMMEDIATE` transaction and recorded in
 * `PRAGMA user_version`, so two processes opening a new file at once migrate it once.
 * Append new versions; never edit a shipped one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE mesh_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, size INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE mesh_locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;

  CREATE TABLE mesh_accounts (id TEXT PRIMARY KEY, record TEXT NOT NULL, balance INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE mesh_projects (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, record TEXT NOT NULL);
  CREATE INDEX mesh_projects_account ON mesh_projects (account_id);
  CREATE TABLE mesh_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, project_id TEXT, record TEXT NOT NULL);
  CREATE INDEX mesh_keys_account ON mesh_keys (account_id);
  CREATE INDEX mesh_keys_project ON mesh_keys (project_id);

  CREATE TABLE mesh_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES mesh_accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'refund')),
    amount INTEGER NOT NULL,
    request_id TEXT,
    key_id TEXT,
    project_id TEXT,
    created_at INTEGER NOT NULL,
    note TEXT
  );
  CREATE UNIQUE INDEX mesh_entries_request ON mesh_entries (kind, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX mesh_entries_account ON mesh_entries (account_id, seq);
  CREATE TRIGGER mesh_entries_no_update BEFORE UPDATE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
  CREATE TRIGGER mesh_entries_no_delete BEFORE DELETE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;

  CREATE TABLE mesh_reservations (
    request_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    key_id TEXT,
    project_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX mesh_reservations_account ON mesh_reservations (account_id, expires_at);
  CREATE INDEX mesh_reservations_key ON mesh_reservations (key_id);
  CREATE INDEX mesh_reservations_project ON mesh_reservations (project_id);

  -- Settled usage per scope ('key:<id>', 'project:<id>', 'account:<id>') and bucket ('d:2030-01-15', 'm:2030-01', 'total'),
  -- maintained in the transaction that writes the usage entry, so cap checks read one row.
  CREATE TABLE mesh_spend (scope TEXT NOT NULL, bucket TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (scope, bucket)) WITHOUT ROWID;

  CREATE TABLE mesh_usage (request_id TEXT PRIMARY KEY, account_id TEXT, project_id TEXT, key_id TEXT, started_at INTEGER NOT NULL, event TEXT NOT NULL);
  CREATE INDEX mesh_usage_account ON mesh_usage (account_id, started_at);
  CREATE INDEX mesh_usage_project ON mesh_usage (project_id, started_at);
  CREATE INDEX mesh_usage_key ON mesh_usage (key_id, started_at);
  `,
  // 2: holds are only the requests in flight (a few hundred rows, gone within minutes), read whole
  // into memory by the money operations; the reads by scope outside them (balance, spend,
  // reservations) scan that small table. Each index made every hold's insert and delete write
  // three more pages: the largest share of a billed request's commits.
  `
  DROP INDEX mesh_reservations_account;
  DROP INDEX mesh_reservations_key;
  DROP INDEX mesh_reservations_project;
  `,
  // 3: mesh_entries without AUTOINCREMENT. Its only effect was a write to sqlite_sequence in every
  // insert (one more WAL frame per settlement, ~1 in 7). Entries are never deleted (a trigger
  // refuses it), so a plain INTEGER PRIMARY KEY (the largest seq + 1) is as monotonic. The table is
  // rebuilt once: upgrading copies the whole ledger, in this one transaction. (Its definition
  // repeats version 1's on purpose: a shipped migration is never edited, nor built from shared text
  // that could change under it.)
  // The usage indexes become partial: an event without a project (or key, or account) is not
  // entered in that index at all (queries filter on `= ?`, which implies IS NOT NULL, so they
  // still use them); most events have no project, and each index entry is a B-tree insert.
  `
  DROP INDEX mesh_usage_account;
  DROP INDEX mesh_usage_project;
  DROP INDEX mesh_usage_key;
  CREATE INDEX mesh_usage_account ON mesh_usage (account_id, started_at) WHERE account_id IS NOT NULL;
  CREATE INDEX mesh_usage_project ON mesh_usage (project_id, started_at) WHERE project_id IS NOT NULL;
  CREATE INDEX mesh_usage_key ON mesh_usage (key_id, started_at) WHERE key_id IS NOT NULL;

  CREATE TABLE mesh_entries_v3 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES mesh_accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'refund')),
    amount INTEGER NOT NULL,
    request_id TEXT,
    key_id TEXT,
    project_id TEXT,
    created_at INTEGER NOT NULL,
    note TEXT
  );
  INSERT INTO mesh_entries_v3 (seq, id, account_id, kind, amount, request_id, key_id, project_id, created_at, note)
    SELECT seq, id, account_id, kind, amount, request_id, key_id, project_id, created_at, note FROM mesh_entries ORDER BY seq;
  DROP TABLE mesh_entries;
  ALTER TABLE mesh_entries_v3 RENAME TO mesh_entries;
  DELETE FROM sqlite_sequence WHERE name = 'mesh_entries';
  CREATE UNIQUE INDEX mesh_entries_request ON mesh_entries (kind, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX mesh_entries_account ON mesh_entries (account_id, seq);
  CREATE TRIGGER mesh_entries_no_update BEFORE UPDATE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
  CREATE TRIGGER mesh_entries_no_delete BEFORE DELETE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
  `,
  // 4: the kind CHECK as `=` comparisons. SQLite codes `kind IN (<more than two constants>)` as an
  // ephemeral index built again on every INSERT (a page cache opened, a 4 KiB page zeroed, four
  // inserts, all freed): ~13 k instructions of every settlement (bench/README, "Third session of
  // 2026-12-02"). The same rule with `OR` compiles to four comparisons. SQLite cannot alter a
  // CHECK, so the table is rebuilt once, as in version 3 (same columns, seq values, indexes and
  // guards; the definitions repeated on purpose, as version 3 explains).
  `
  CREATE TABLE mesh_entries_v4 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES mesh_accounts (id),
    kind TEXT NOT NULL CHECK (kind = 'grant' OR kind = 'purchase' OR kind = 'usage' OR kind = 'refund'),
    amount INTEGER NOT NULL,
    request_id TEXT,
    key_id TEXT,
    project_id TEXT,
    created_at INTEGER NOT NULL,
    note TEXT
  );
  INSERT INTO mesh_entries_v4 (seq, id, account_id, kind, amount, request_id, key_id, project_id, created_at, note)
    SELECT seq, id, account_id, kind, amount, request_id, key_id, project_id, created_at, note FROM mesh_entries ORDER BY seq;
  DROP TABLE mesh_entries;
  ALTER TABLE mesh_entries_v4 RENAME TO mesh_entries;
  CREATE UNIQUE INDEX mesh_entries_request ON mesh_entries (kind, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX mesh_entries_account ON mesh_entries (account_id, seq);
  CREATE TRIGGER mesh_entries_no_update BEFORE UPDATE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
  CREATE TRIGGER mesh_entries_no_delete BEFORE DELETE ON mesh_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
  `,
  // 5: usage events by start time alone, for \`pruneUsage\` (\`billing.usageRetention\`): without it each
  // run would scan the whole table. One more B-tree insert per usage row (written off the event loop
  // by the checkpoint worker once it runs); the ledger tables are not touched.
  `
  CREATE INDEX mesh_usage_started ON mesh_usage (started_at);
  `,
  // 6: usage events live in their own database file (USAGE_MIGRATIONS, `usagePath`): the checkpoint
  // worker's commits of usage rows no longer change the ledger's file, so they neither wait for the
  // main thread's batches nor make its connection read its pages again. `migrate` copies the rows
  // there (moveUsageRows, committed first) before this drops them here, in the same transaction.
  `
  DROP TABLE mesh_usage;
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length
/** The version whose migration drops `mesh_usage` from the ledger's file (its rows copied to the usage file first). */
const USAGE_MOVED = 6

/**
 * The usage database (`sqlite({ usagePath })`): usage events only, written in batches (by the
 * checkpoint worker once it runs), read by the admin usage API, pruned by `pruneUsage`. Its own
 * `user_version`. The same table and indexes the ledger's file had up to version 5.
 */
const USAGE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE mesh_usage (request_id TEXT PRIMARY KEY, account_id TEXT, project_id TEXT, key_id TEXT, started_at INTEGER NOT NULL, event TEXT NOT NULL);
  CREATE INDEX mesh_usage_account ON mesh_usage (account_id, started_at) WHERE account_id IS NOT NULL;
  CREATE INDEX mesh_usage_project ON mesh_usage (project_id, started_at) WHERE project_id IS NOT NULL;
  CREATE INDEX mesh_usage_key ON mesh_usage (key_id, started_at) WHERE key_id IS NOT NULL;
  CREATE INDEX mesh_usage_started ON mesh_usage (started_at);
  `,
]

export const USAGE_SCHEMA_VERSION = USAGE_MIGRATIONS.length

/** Applies `migrations` from the file's `user_version` on, in one `BEGIN IMMEDIATE` transaction; `before(version)` runs before each. */
function apply(db: Database.Database, path: string, migrations: readonly string[], before?: (version: number) => void): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number
    if (current > migrations.length) {
      throw new Error(`${path} has schema version ${current}, newer than this @modelmesh/stores-sqlite understands (${migrations.length}); upgrade the package`)
    }
    for (let version = current; version < migrations.length; version++) {
      before?.(version + 1)
      db.exec(migrations[version]!)
    }
    if (current < migrations.length) db.pragma(`user_version = ${migrations.length}`)
  }).immediate()
}

/**
 * Brings the ledger file's schema to {@link SCHEMA_VERSION}; refuses a file written by a newer
 * version. `usage` (the usage database's connection, migrated already) receives the file's usage
 * rows before version 6 drops them.
 */
export function migrate(db: Database.Database, path: string, usage: Database.Database): void {
  apply(db, path, MIGRATIONS, (version) => {
    if (version === USAGE_MOVED) moveUsageRows(usage, path)
  })
}

/** Brings the usage database's schema to {@link USAGE_SCHEMA_VERSION}. */
export function migrateUsage(db: Database.Database, path: string): void {
  apply(db, path, USAGE_MIGRATIONS)
}

/**
 * Copies the usage rows the ledger's file at `ledgerPath` has committed into the usage database
 * (`INSERT OR IGNORE`: a copy interrupted by a crash, before the drop committed, is simply made
 * again at the next open). One statement: committed on the usage file before the caller's
 * transaction drops the table. The caller holds the ledger file's write lock, so no other process
 * adds a row in between. Nothing to copy from a `:memory:` ledger (created in this transaction).
 */
function moveUsageRows(usage: Database.Database, ledgerPath: string): void {
  if (ledgerPath === ':memory:') return
  usage.prepare('ATTACH DATABASE ? AS mesh_ledger').run(ledgerPath)
  try {
    if (usage.prepare("SELECT 1 FROM mesh_ledger.sqlite_master WHERE type = 'table' AND name = 'mesh_usage'").get() === undefined) return
    usage.exec(
      'INSERT OR IGNORE INTO main.mesh_usage (request_id, account_id, project_id, key_id, started_at, event) SELECT request_id, account_id, project_id, key_id, started_at, event FROM mesh_ledger.mesh_usage ORDER BY started_at',
    )
  } finally {
    usage.exec('DETACH DATABASE mesh_ledger')
  }
}
