import { mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { StoreError } from '@modelmesh/core'
import Database from 'better-sqlite3'
import { startCheckpointer, WorkerStoppedError, type Checkpointer, type DeltaBatch } from './checkpoint.js'
import { migrate, migrateUsage } from './schema.js'

export interface ConnectionOptions {
  readonly path: string
  /** The usage database (usage events only): default {@link usagePathFor}(path). */
  readonly usagePath?: string
  readonly synchronous: 'full' | 'normal'
  readonly busyTimeoutMs: number
  /** WAL checkpoints in a worker thread (default true for files); false: SQLite's automatic checkpoints on the committing thread. */
  readonly backgroundCheckpoint?: boolean
  /**
   * The worker starts once the WAL reaches this many bytes (default 1 MiB; 0: at open). A gateway
   * that writes little never pays for the worker's thread and isolate (~10 MB of RSS); until it
   * starts, SQLite's own automatic checkpoint (at 1,000 pages, ~4 MiB) stays on as the backstop.
   */
  readonly checkpointStartBytes?: number
  /**
   * How long a batch of `delay` work only (journaled debits: nothing waits for their commit) may
   * wait for more of it to share its commit; default 0 (the next tick). Any other operation asked
   * meanwhile, or the MAX_DELAYED_OPERATIONS-th delayed one, runs the batch in the next tick.
   */
  readonly commitDelayMs?: number
  /** The worker thread's nice increment (CheckpointerOptions.nice). */
  readonly workerNice?: number
  /** Run the worker thread under SCHED_IDLE (CheckpointerOptions.idle). */
  readonly workerIdle?: boolean
}

/**
 * Where usage events are kept by default: beside the ledger's file, `.usage` before its `.db`
 * (`.mesh/mesh.db` -> `.mesh/mesh.usage.db`), else `.usage` appended; a `:memory:` ledger's are in
 * a second in-memory database.
 */
export function usagePathFor(path: string): string {
  if (path === ':memory:') return path
  return path.endsWith('.db') ? `${path.slice(0, -3)}.usage.db` : `${path}.usage`
}

const DEFAULT_CHECKPOINT_START_BYTES = 1024 * 1024
/** A delayed batch runs in the next tick once it holds this many operations (bounds how long it holds the event loop). */
const MAX_DELAYED_OPERATIONS = 64
/** Group-commit batches between two looks at the WAL's size while the worker is not running yet. */
const BATCHES_PER_WAL_CHECK = 16

export interface BatchOptions {
  /**
   * `volatile` (reservation holds: lost with the process anyway) may commit without waiting for
   * the disk under `synchronous: 'full'`; the next durable commit flushes them with its own pages.
   * `none`: the operation writes no SQL (process-local holds): with nothing queued before it, it
   * runs at once, outside any transaction; otherwise in its place in the next batch, and a batch
   * of such operations only runs without `BEGIN`/`COMMIT`.
   */
  readonly durability?: 'durable' | 'volatile' | 'none'
  /**
   * Run the operation in its own SAVEPOINT (default), so a throw undoes its writes alone. `false`
   * is for operations that write at most one SQL statement, as their last step: a statement that
   * fails is undone by SQLite by itself, so the savepoint would only cost two statements.
   */
  readonly savepoint?: boolean
  /**
   * For `durability: 'none'` operations: whether the operation's reads must share one snapshot
   * with the batch's hooks (default true: one deferred read transaction around them). A batch of
   * operations that all say false runs without `BEGIN`/`COMMIT`: each statement reads in its own
   * implicit transaction. Safe for the money cache: the hooks record `PRAGMA data_version` first,
   * so anything read after it is at least as new, and a later change is seen at the next batch.
   */
  readonly snapshot?: boolean
  /**
   * Work nothing waits for on a response path (usage records, journaled debits): queued, it does
   * not make the connection `busy`, so a lone settlement is still journaled rather than made to
   * wait for it.
   */
  readonly background?: boolean
  /**
   * Background work whose commit nobody waits for at all (a debit already in the debit journal):
   * a batch of it alone may wait `commitDelayMs` for more such work to share its commit. (Usage
   * records are not delayed: their writer waits for each batch before sending the next.)
   */
  readonly delay?: boolean
}

/**
 * Called around every group-commit transaction, inside it: lets a module keep in-memory state
 * (caches, aggregated writes) that is exact because nothing else can write while the batch holds
 * the write lock.
 */
export interface BatchHooks {
  /**
   * After `BEGIN IMMEDIATE` (or, for a batch of `none` operations, instead of it), before the first
   * operation. `inTransaction` false: a batch of `none` operations outside any transaction (no
   * snapshot asked), where a read of the database starts and ends a read transaction of its own.
   */
  begin(inTransaction: boolean): void
  /** After the last operation, before `COMMIT`; a throw rolls the whole batch back. */
  beforeCommit(): void
  /** The batch's transaction was rolled back or never started. */
  aborted(): void
  /** The batch's changes are final: it committed (or, a batch of `none` operations, it ran). */
  committed(): void
  /** Whether the batch read the tables since `begin` (rather than only in-memory state): see `runInert`. */
  readTables?(): boolean
}

/** One lazily opened better-sqlite3 handle with a statement cache. */
export interface Connection {
  prepare(sql: string): Database.Statement
  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so no other connection can slip in between a read and the write that depends on it. */
  immediate<T>(fn: () => T): T
  /**
   * Group commit: `fn` runs in the next shared `BEGIN IMMEDIATE` transaction (by default in its
   * own savepoint: a throw undoes only its own writes), and the promise settles after that
   * transaction commits. Under load many reserves and settles share one commit instead of paying
   * one each.
   */
  batched<T>(fn: () => T, options?: BatchOptions): Promise<T>
  /**
   * Runs `sql` once per row (its bound parameters) in one transaction of the usage database — all
   * rows or none — and resolves with the rows changed once committed. Background work (nothing on a
   * response path waits for it, no money operation reads it: usage records): while the checkpoint
   * worker runs, the worker writes and commits them off the event loop on its own connection to the
   * usage file (never waiting for the main thread's batches: another file); otherwise, or if the
   * worker stops, this thread does, in its own transaction in a later turn of the event loop. With
   * `jsonColumn`, each row's value at that index is bound as its `JSON.stringify` text, made by the
   * thread that writes the row (the worker's, while it runs: off the event loop).
   */
  writeRows(sql: string, rows: ReadonlyArray<readonly unknown[]>, jsonColumn?: number): Promise<number>
  /** A statement of the usage database (read usage events; cached). */
  prepareUsage(sql: string): Database.Statement
  /**
   * Hands `batch` to the checkpoint worker, to be written in one transaction on its connection
   * (`Checkpointer.writeDeltas`: the inserts, then the sums of what the inserted items add).
   * Returns the transaction's ticket, or undefined when the worker does not run (write them in a
   * batch instead). `done` is called synchronously, before any later batch: with no argument once
   * committed, with the error when nothing of it was written (the worker stopped before committing
   * it, or the transaction failed) — the caller then writes them itself. `workerCommitted` read in a
   * batch's hooks holds for the whole batch: a batch that writes holds the worker's gate (no ticket
   * commits during it); a batch of `none` operations takes no gate, and if a ticket became visible
   * while it ran (the worker's `commitSeq` moved) and it read the tables (`BatchHooks.readTables`),
   * it is undone (`aborted`) and run again.
   */
  writeInWorker(batch: DeltaBatch, done: (error?: unknown) => void): number | undefined
  /** The last ticket of `writeInWorker` the worker committed (0: none yet); read it in a batch hook. */
  readonly workerCommitted: number
  /** Hooks run around every batch (one set per connection). */
  setBatchHooks(hooks: BatchHooks): void
  /** Runs reads in one deferred transaction: in WAL mode they see one consistent snapshot. */
  snapshot<T>(fn: () => T): T
  /** The background checkpointer, when one runs (for tests and diagnostics). */
  readonly checkpointer: Checkpointer | undefined
  /**
   * A batch with foreground work (not `background`) is queued and will run in the next tick: an
   * operation asked now joins its commit. False while the batch waits for the checkpoint worker.
   */
  readonly busy: boolean
  /** Runs a batch that waits out `commitDelayMs` in the next tick instead (a read wants its writes). */
  hurry(): void
  /** Commits what is queued, then closes the handle and waits for the checkpoint worker to stop. */
  close(): Promise<void>
}

interface Queued {
  fn: () => unknown
  savepoint: boolean
  /** Writes no SQL (`durability: 'none'`). */
  inert: boolean
  /** Its reads need one snapshot with the hooks' (`BatchOptions.snapshot`). */
  snapshot: boolean
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** `row` with its value at `column` replaced by that value's JSON text (a new array). */
const withJson = (row: readonly unknown[], column: number): unknown[] => row.map((value, i) => (i === column ? JSON.stringify(value) : value))

export function openConnection(options: ConnectionOptions, storeName: string): Connection {
  let db: Database.Database | undefined
  /** The usage database's connection (opened with `db`). */
  let usageDb: Database.Database | undefined
  let closed = false
  let checkpointer: Checkpointer | undefined
  let hooks: BatchHooks | undefined
  const statements = new Map<string, Database.Statement>()
  const usageStatements = new Map<string, Database.Statement>()
  const memory = options.path === ':memory:'
  const usagePath = memory ? ':memory:' : resolve(options.usagePath ?? usagePathFor(options.path))
  /** The WAL file to watch until the checkpoint worker runs (undefined: no worker wanted, or it runs). */
  let walPath: string | undefined
  let batchesSinceWalCheck = 0

  // Checkpoints are the fsyncs left under synchronous=NORMAL: a worker thread with its own
  // connection takes them, so they never stall the event loop. If it cannot run, SQLite's
  // automatic checkpoints come back.
  const startWorker = (handle: Database.Database, path: string) => {
    walPath = undefined
    const autocheckpoint = (on: boolean) => {
      if (db === handle) handle.pragma(`wal_autocheckpoint = ${on ? 1000 : 0}`)
    }
    checkpointer = startCheckpointer(path, { onFailure: () => autocheckpoint(true), onPressure: autocheckpoint }, { busyTimeoutMs: options.busyTimeoutMs, nice: options.workerNice, idle: options.workerIdle, usagePath })
    if (checkpointer) {
      handle.pragma('wal_autocheckpoint = 0')
      // When a writer starts the WAL over, it also gives back the file's space beyond this.
      handle.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
    }
  }
  /** After a batch: start the worker once the WAL has grown enough to be worth it. */
  const watchWal = () => {
    if (!walPath || !db || ++batchesSinceWalCheck < BATCHES_PER_WAL_CHECK) return
    batchesSinceWalCheck = 0
    let size = 0
    try {
      size = statSync(walPath).size
    } catch {
      return // no WAL file (yet): nothing to checkpoint
    }
    if (size >= (options.checkpointStartBytes ?? DEFAULT_CHECKPOINT_START_BYTES)) startWorker(db, resolve(options.path))
  }

  const open = (): Database.Database => {
    if (db) return db
    if (closed) throw new StoreError({ code: 'unavailable', store: storeName, message: `${options.path} was closed; create a new store` })
    const path = memory ? options.path : resolve(options.path)
    let usage: Database.Database | undefined
    let handle: Database.Database | undefined
    try {
      if (!memory) mkdirSync(dirname(path), { recursive: true })
      if (!memory) mkdirSync(dirname(usagePath), { recursive: true })
      // Usage events are written in batches (a crash may lose the last interval's anyway): NORMAL.
      usage = new Database(usagePath)
      usage.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
      usage.pragma('journal_mode = WAL')
      usage.pragma('synchronous = NORMAL')
      migrateUsage(usage, usagePath)
      handle = new Database(path)
      handle.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
      handle.pragma('journal_mode = WAL')
      handle.pragma(`synchronous = ${options.synchronous.toUpperCase()}`)
      handle.pragma('foreign_keys = ON')
      migrate(handle, path, usage)
      db = handle
      usageDb = usage
      walPath = memory || options.backgroundCheckpoint === false ? undefined : `${path}-wal`
      if (walPath && (options.checkpointStartBytes ?? DEFAULT_CHECKPOINT_START_BYTES) <= 0) startWorker(handle, path)
      return handle
    } catch (error) {
      // Neither handle is kept: the next use tries again from the start.
      if (handle?.open) handle.close()
      if (usage?.open) usage.close()
      throw new StoreError({
        code: 'unavailable',
        store: storeName,
        message: `cannot open ${path} (usage events: ${usagePath}): ${(error as Error).message}. Check that the directory is writable, or pass sqlite({ path }).`,
        cause: error,
      })
    }
  }

  // Under synchronous=NORMAL a WAL commit never waits for the disk, so holds need no batch of
  // their own: one queue, one transaction per tick, operations in the order they were asked.
  const split = options.synchronous === 'full'
  const queues: Record<'durable' | 'volatile', Queued[]> = { durable: [], volatile: [] }
  let scheduled = false
  /** The pending batch waits out `commitDelayMs` (only `delay` work is queued). */
  let delayed: ReturnType<typeof setTimeout> | undefined
  let delayedOperations = 0
  const commitDelayMs = options.commitDelayMs ?? 0
  /** Operations queued for the next batch that are not `background`. */
  let foreground = 0
  /** Operations queued for the next batch that write SQL (not `durability: 'none'`). */
  let writers = 0
  /** The next batch waits for the checkpoint worker to give the write lock back. */
  let deferred = false
  /** `writeInWorker` tickets sent and not yet answered. */
  let ticketsOut = 0
  let lastTicket = 0
  /** The last ticket known committed (the worker's shared counter, once it is gone). */
  let lastCommitted = 0
  /** A ticket failed: the worker refuses later ones until every ticket out is answered (then resumed). */
  let ticketFailed = false
  /** This thread holds the worker's gate (a batch runs). */
  let gateHeld = false
  /** Takes the gate for a batch when one is needed and free; false: run the batch a little later. */
  const enterGate = (needed: boolean): boolean => {
    if (!needed || gateHeld || !checkpointer) return true
    if (!checkpointer.enterBatch()) return false
    gateHeld = true
    return true
  }
  const leaveGate = () => {
    if (!gateHeld) return
    gateHeld = false
    checkpointer?.leaveBatch()
  }
  let synchronous = options.synchronous.toUpperCase()
  const setSynchronous = (handle: Database.Database, level: string) => {
    if (synchronous !== level) handle.pragma(`synchronous = ${level}`)
    synchronous = level
  }
  const flush = () => {
    if (delayed) {
      clearTimeout(delayed)
      delayed = undefined
    }
    // While the checkpoint worker holds the write lock (a checkpoint, or rows it writes: a
    // millisecond or a few), wait for it off the event loop rather than in SQLite's busy handler
    // on it. A batch that writes nothing takes no write lock (WAL readers never wait): it runs
    // (and checks the worker's commit sequence: runInert).
    const wasHeld = gateHeld
    if (!enterGate(writers > 0)) {
      // Woken by the worker's notify when it lets go (a timer's millisecond was most of the wait).
      deferred = true
      checkpointer!.whenGateFree(flush)
      return
    }
    deferred = false
    scheduled = false
    foreground = 0
    writers = 0
    delayedOperations = 0
    try {
      // Volatile work first, so a hold taken in this tick is visible to the settles after it.
      for (const kind of ['volatile', 'durable'] as const) {
        const batch = queues[kind]
        if (!batch.length) continue
        queues[kind] = []
        runBatch(batch, kind)
      }
      // Writes outside the batches (records, keys, state) keep the configured level.
      if (db && split) setSynchronous(db, options.synchronous.toUpperCase())
    } finally {
      if (!wasHeld) leaveGate()
    }
    watchWal()
  }
  const control = (handle: Database.Database) => ({
    begin: handle.prepare('BEGIN IMMEDIATE'),
    beginRead: handle.prepare('BEGIN DEFERRED'),
    commit: handle.prepare('COMMIT'),
    rollback: handle.prepare('ROLLBACK'),
    savepoint: handle.prepare('SAVEPOINT mesh_op'),
    release: handle.prepare('RELEASE mesh_op'),
    rollbackTo: handle.prepare('ROLLBACK TO mesh_op'),
  })
  let controls: { handle: Database.Database; statements: ReturnType<typeof control> } | undefined
  /** The transaction statements of the open handle (prepared again after a reopen). */
  const controlsFor = (handle: Database.Database) => (controls?.handle === handle ? controls : (controls = { handle, statements: control(handle) }))

  /**
   * A batch of operations that write no SQL: in order, without a write transaction. Their reads
   * (the hooks' `PRAGMA data_version`, an operation's `SELECT`) share one deferred read
   * transaction: in WAL mode every read outside a transaction takes and drops a read lock of its
   * own (3–4 `fcntl` calls), so a process-local reserve paid for two. Unless every operation says
   * it needs no snapshot (`snapshot: false`, a reserve under a fresh request id, whose only read
   * with a warm cache is the hooks' PRAGMA): then no `BEGIN`/`COMMIT` at all.
   */
  const runInert = (batch: Queued[], attempt = 0): void => {
    // Tickets out and the gate not held: the worker may commit one while this batch reads. Its
    // commit sequence, the same and even before and after, says none became visible meanwhile.
    const worker = ticketsOut > 0 && !gateHeld && checkpointer?.running ? checkpointer : undefined
    const seq = worker?.commitSeq
    let read: typeof controls
    try {
      const handle = open()
      if (!handle.inTransaction && batch.some((item) => item.snapshot)) {
        read = controlsFor(handle)
        read.statements.beginRead.run()
      }
      hooks?.begin(handle.inTransaction)
    } catch (error) {
      endRead(read)
      hooks?.aborted()
      for (const item of batch) item.reject(error)
      return
    }
    if (!worker) {
      // (A promise's callbacks run later, as microtasks: resolving here is the same as after endRead.)
      for (const item of batch) {
        try {
          item.resolve(item.fn())
        } catch (error) {
          item.reject(error)
        }
      }
      endRead(read)
      hooks?.committed()
      return
    }
    // With tickets out the outcomes wait for the check below (the batch may have to run again).
    const outcomes = batch.map((item): { ok: true; value: unknown } | { ok: false; error: unknown } => {
      try {
        return { ok: true, value: item.fn() }
      } catch (error) {
        return { ok: false, error }
      }
    })
    endRead(read)
    if (((seq! & 1) === 1 || worker.commitSeq !== seq) && hooks?.readTables?.()) {
      // What it read may count a debit of that ticket twice (in the tables and in the overlay):
      // undone, and run again — after a few tries, under the gate (no ticket commits then).
      hooks.aborted()
      if (attempt < 3) return runInert(batch, attempt + 1)
      if (enterGate(true)) {
        try {
          return runInert(batch, attempt + 1)
        } finally {
          leaveGate()
        }
      }
      return worker.whenGateFree(() => runInert(batch, attempt + 1))
    }
    hooks?.committed()
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) item.resolve(outcome.value)
      else item.reject(outcome.error)
    })
  }
  /** Ends the read transaction of an inert batch (nothing was written: COMMIT only drops the read lock). */
  const endRead = (read: typeof controls) => {
    if (!read?.handle.inTransaction) return
    try {
      read.statements.commit.run()
    } catch {
      try {
        read.statements.rollback.run()
      } catch {
        // nothing was written: a failed rollback leaves nothing to undo
      }
    }
  }

  const runBatch = (batch: Queued[], kind: 'durable' | 'volatile') => {
    if (batch.every((item) => item.inert)) return runInert(batch)
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = []
    let handle: Database.Database | undefined
    try {
      handle = open()
      const sql = controlsFor(handle).statements
      if (split) setSynchronous(handle, kind === 'volatile' ? 'OFF' : options.synchronous.toUpperCase())
      sql.begin.run()
      hooks?.begin(true)
      for (const item of batch) {
        if (item.savepoint) {
          sql.savepoint.run()
          let outcome: (typeof outcomes)[number]
          try {
            outcome = { ok: true, value: item.fn() }
          } catch (error) {
            outcome = { ok: false, error }
            if (handle.inTransaction) sql.rollbackTo.run()
          }
          if (handle.inTransaction) sql.release.run()
          outcomes.push(outcome)
        } else {
          try {
            outcomes.push({ ok: true, value: item.fn() })
          } catch (error) {
            outcomes.push({ ok: false, error })
          }
        }
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction: the rest
        // must not run outside it.
        if (!handle.inTransaction) {
          const last = outcomes[outcomes.length - 1]!
          throw last.ok ? new Error('the batch transaction ended early') : last.error
        }
      }
      hooks?.beforeCommit()
      sql.commit.run()
      hooks?.committed()
    } catch (error) {
      if (handle?.inTransaction) {
        try {
          controls!.statements.rollback.run()
        } catch {
          // the rollback failing leaves nothing more to undo
        }
      }
      hooks?.aborted()
      for (const item of batch) item.reject(error)
      return
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) item.resolve(outcome.value)
      else item.reject(outcome.error)
    })
  }

  /** The delayed batch runs in the next tick instead. */
  const hurry = () => {
    if (!delayed) return
    clearTimeout(delayed)
    delayed = undefined
    setImmediate(flush)
  }

  /** See Connection.batched. */
  const batched = <T>(fn: () => T, batchOptions: BatchOptions = {}): Promise<T> => {
    const inert = batchOptions.durability === 'none'
    const snapshot = batchOptions.snapshot ?? true
    if (inert && foreground === 0) {
      // Nothing queued before it but background work (usage records, which no money operation
      // reads; journaled debits, which the money cache counts already): no order to keep, so no
      // tick to wait for.
      return new Promise<T>((resolve, reject) => runInert([{ fn, savepoint: false, inert, snapshot, resolve: resolve as (value: unknown) => void, reject }]))
    }
    return new Promise<T>((resolve, reject) => {
      // Under `synchronous: 'full'` holds (volatile or in memory) run in the batch before the debits.
      const queue = split && (inert || batchOptions.durability === 'volatile') ? queues.volatile : queues.durable
      queue.push({ fn, savepoint: batchOptions.savepoint ?? true, inert, snapshot, resolve: resolve as (value: unknown) => void, reject })
      const delay = batchOptions.delay === true && batchOptions.background === true && commitDelayMs > 0
      if (!batchOptions.background) foreground++
      if (!inert) writers++
      if (delay) delayedOperations++
      if (!scheduled) {
        scheduled = true
        if (delay) delayed = setTimeout(flush, commitDelayMs)
        else setImmediate(flush)
      } else if (!delay || delayedOperations >= MAX_DELAYED_OPERATIONS) hurry()
    })
  }
  /** `sql` prepared on `handle`, once per `cache`. */
  const cached = (cache: Map<string, Database.Statement>, handle: Database.Database, sql: string): Database.Statement => {
    let statement = cache.get(sql)
    if (!statement) cache.set(sql, (statement = handle.prepare(sql)))
    return statement
  }
  const prepare = (sql: string): Database.Statement => cached(statements, open(), sql)
  const prepareUsage = (sql: string): Database.Statement => {
    open()
    return cached(usageStatements, usageDb!, sql)
  }
  /** Row writes for this thread, run in the next turn of the event loop (after its answers); `close` runs them at once. */
  let rowsHere: Array<{ sql: string; rows: ReadonlyArray<readonly unknown[]>; resolve: (changes: number) => void; reject: (error: unknown) => void }> = []
  const flushRowsHere = () => {
    const pending = rowsHere
    rowsHere = []
    for (const write of pending) {
      try {
        const statement = prepareUsage(write.sql)
        write.resolve(
          usageDb!
            .transaction(() => {
              let changes = 0
              for (const row of write.rows) changes += statement.run(row).changes
              return changes
            })
            .immediate(),
        )
      } catch (error) {
        write.reject(error)
      }
    }
  }
  /** `writeRows` on this thread: in one transaction of the usage database, all rows or none. */
  const writeRowsHere = (sql: string, rows: ReadonlyArray<readonly unknown[]>) =>
    new Promise<number>((resolve, reject) => {
      if (rowsHere.length === 0) setImmediate(flushRowsHere)
      rowsHere.push({ sql, rows, resolve, reject })
    })

  const writeRows = (sql: string, rows: ReadonlyArray<readonly unknown[]>, jsonColumn?: number): Promise<number> => {
    if (rows.length === 0) return Promise.resolve(0)
    const worker = checkpointer
    // Serialised now when this thread writes them (as when they are handed to the worker, which
    // takes its copy now): what the caller changes afterwards is not stored.
    const here = () => (jsonColumn === undefined ? rows : rows.map((row) => withJson(row, jsonColumn)))
    if (!worker?.running) return writeRowsHere(sql, here())
    // Rows the worker could not write because it stopped are written here (they were not
    // committed: its transaction rolled back with it; `ON CONFLICT DO NOTHING` statements are
    // safe to repeat either way). A JSON value the structured clone refuses (a function, say, which
    // JSON.stringify leaves out) is serialised here and the text sent instead.
    return worker.writeRows(sql, rows, jsonColumn).catch((error: unknown): Promise<number> => {
      if (error instanceof WorkerStoppedError && !closed) return writeRowsHere(sql, here())
      if (jsonColumn !== undefined && (error as Error | undefined)?.name === 'DataCloneError') return writeRows(sql, here())
      throw error
    })
  }

  return {
    batched,
    writeRows,
    prepareUsage,
    writeInWorker(batch, done) {
      const worker = checkpointer
      if (!worker?.running || closed) return undefined
      const ticket = ++lastTicket
      ticketsOut++
      worker.writeDeltas(batch, ticket, (error) => {
        ticketsOut--
        // A worker that stopped right after its commit, before answering, has published the ticket.
        const committed = error === undefined || (error instanceof WorkerStoppedError && worker.committedTicket >= ticket)
        if (committed) lastCommitted = Math.max(lastCommitted, ticket)
        else ticketFailed = true
        done(committed ? undefined : error)
        if (ticketFailed && ticketsOut === 0) {
          ticketFailed = false
          worker.resume()
        }
      })
      return ticket
    },
    get workerCommitted() {
      return Math.max(checkpointer?.committedTicket ?? 0, lastCommitted)
    },
    hurry,
    setBatchHooks(next) {
      hooks = next
    },
    prepare,
    immediate(fn) {
      return open().transaction(fn).immediate()
    },
    snapshot(fn) {
      return open().transaction(fn).deferred()
    },
    get checkpointer() {
      return checkpointer
    },
    get busy() {
      return foreground > 0 && !deferred
    },
    async close() {
      // Queued work (usage records, journaled debits waiting out the commit delay) is committed first.
      if (scheduled && !deferred) flush()
      flushRowsHere()
      closed = true
      walPath = undefined
      statements.clear()
      usageStatements.clear()
      controls = undefined
      const stopping = checkpointer
      checkpointer = undefined
      // The main handle first: no write can start after it, and the worker, closing last,
      // takes the final checkpoint off this thread.
      db?.close()
      db = undefined
      usageDb?.close()
      usageDb = undefined
      await stopping?.close()
    },
  }
}
