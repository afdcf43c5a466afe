import { StoreError, type LedgerStoreV1, type StateStoreV1 } from '@modelmesh/core'
import { resolve } from 'node:path'
import { openConnection } from './connection.js'
import { sqliteLedgerMoney } from './ledger-money.js'
import { sqliteLedgerRecords } from './ledger-records.js'
import { sqliteState } from './state.js'

export interface SqliteStoreOptions {
  /** Database file; default `.mesh/mesh.db` (relative to the working directory, created with its folder). `:memory:` for a private in-memory database. */
  path?: string
  /**
   * The database file of usage events (`recordUsage`, `usage`, `pruneUsage`); default beside
   * `path`, `.usage` before its `.db` (`.mesh/mesh.usage.db`; `path` + `.usage` for a name without
   * `.db`; a second in-memory database for `:memory:`). A file of its own so that the usage rows
   * the background worker commits never wait for, nor invalidate the pages of, the ledger's
   * transactions (docs/stores.md). WAL, `synchronous=NORMAL` whatever `synchronous` says (usage
   * events are written in batches: a crash can lose the last interval's anyway; money is in the
   * ledger file). A file of an older version keeps its usage events: the first open copies them
   * here and drops them from `path` (schema version 6).
   */
  usagePath?: string
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
  /**
   * Where reservation holds (the money held for requests in flight) live:
   *
   * - `shared` (default): in the file. `reserve` commits its hold, so every process that opens
   *   the file sees it, and two gateway processes on one file never overspend a balance or a cap
   *   together.
   * - `process`: in this process's memory only. `reserve` and `release` write nothing and take no
   *   lock — one transaction fewer per billed request (bench/README). Exact for one gateway
   *   process per file, the usual embedded setup. Several processes on one file still see each
   *   other's balances, settled spend and debits, but not each other's holds: together they can
   *   exceed a balance or cap by what the others hold in flight. A crash loses nothing either way
   *   (holds never outlive their process's requests).
   */
  holds?: 'shared' | 'process'
  /**
   * With `holds: 'process'` and `synchronous: 'normal'` (default true there; ignored otherwise
   * and for `:memory:`): a settlement made while no batch is waiting — one of the first four of a
   * turn of the event loop (the first only, while turns hold more) — is appended to a debit
   * journal next to the file (`<path>-debits-<pid>-<random>.jsonl`, one JSON line, one
   * `write()`) and acknowledged at once; a batch commits it to the ledger tables within
   * `commitDelayMs`. Same durability as a `normal` commit (the line is in the kernel before
   * `settle` resolves: it survives a crash of the process), without the commit on the response
   * path. On open, journals left by a process that died are replayed (an entry already stored
   * is skipped) and removed. Reads of this store (`balance`, `entries`, `spend`,
   * `reservations`) wait for journaled settlements to be committed (they hurry it); another
   * process sees them after that commit (`commitDelayMs`).
   * Whatever this option, a store that opens the file replays the journals a dead process left.
   */
  debitJournal?: boolean
  /**
   * Experimental, default false: once the background worker thread runs (`workerStartBytes`), it
   * commits the journaled debits, off the event loop, while this process's money cache keeps
   * counting them exactly; if its transaction fails, or the worker stops, the main thread commits
   * them. Not the default: on the bench machine it neither cut the main thread's instructions per
   * request (−0.7 %, within run-to-run noise) nor showed a latency gain through the noise, and it
   * costs a little more CPU in all (docs/stores.md).
   */
  debitsInWorker?: boolean
  /**
   * The background worker thread — WAL checkpoints, and the writes of usage records and journaled
   * debits — starts once the WAL reaches this many bytes: default 1 MiB (a gateway that writes
   * little never pays for the thread and its ~10 MB of memory), 0 to start it when the file opens.
   * Files only; until it runs, SQLite's automatic checkpoints and the main thread do its work.
   */
  workerStartBytes?: number
  /**
   * Linux, opt-in: added to the background worker thread's nice value (0 to 19; default 0, the
   * process's priority). Checkpoints and usage-record writes are background work; on a machine
   * whose cores are busy, the worker woken at the event loop's priority can preempt it, and a
   * lower priority keeps that off the requests' latency. The price under sustained saturation:
   * the worker gets less CPU (at +10 about a tenth of a normal thread's share of a contended core)
   * and, holding the write lock when it is preempted, can make the event loop's next commit wait.
   * Measured on the bench VM (bench/README, "Session of 2026-12-02 night"): at 1,000 req/s once
   * p99 5.1 against 12.3 ms and once no difference; at 100 connections once ~10 % fewer requests
   * in half the rounds and once no difference — so it is not the default.
   */
  workerNice?: number
  /**
   * Linux, opt-in: run the background worker thread under SCHED_IDLE (set once at its start with
   * util-linux's `chrt`; without it, or elsewhere, nothing changes). It then runs only when a core
   * has nothing else to do, and the event loop woken onto the worker's core takes that core at once.
   * At the default policy the kernel (EEVDF, Linux 6.6 and later) lets a running worker finish its
   * slice first — a batch of usage records is ~0.3-0.7 ms — while the other core may sit idle: on
   * the 2-core bench VM at 1,000 req/s the event loop waited 51-64 ms in 10 s behind its worker, and
   * never with `workerIdle` (bench/README, "Twentieth session"). The price when the cores stay saturated:
   * the worker's work waits for idle moments — usage records queue in memory (the gateway's usage
   * writer keeps up to 100,000, then drops the oldest), the WAL grows until the main connection
   * checkpoints by itself (past 64 MiB), and a checkpoint the worker started holding the write lock
   * makes the event loop's next commit wait for it. For gateways that are not run at saturation.
   */
  workerIdle?: boolean
  /**
   * How long debits already in the debit journal (nothing waits for their commit) may wait for
   * more of them to share one commit: default 10 ms, 0 for the next tick, at most 1000. Fewer,
   * larger commits: at 1,000 lone requests a second about 100 instead of 1,000 (each commit
   * rewrites the pages it touched; bench/README). Durability is unchanged (the debit is in the
   * journal), and this process counts a journaled debit at once. Any other write — usage records
   * written on the main thread (once the checkpoint worker runs, it writes them), a shared hold, a settlement that is not journaled, a key or state write — or the 64th waiting
   * debit commits them in the next tick; reads of this store (`balance`, `entries`, `spend`,
   * `reservations`) hurry them; `close()` commits them. Another process sees them up to this much
   * later.
   */
  commitDelayMs?: number
  /**
   * With `holds: 'process'`: how long a reservation may trust this process's cache of balances
   * and spend without asking SQLite whether another process committed since (`PRAGMA
   * data_version`); default 50 ms, 0 to ask before every reservation. Outside a transaction the
   * question is a read transaction of its own (shared-memory locks: 15-40 µs on the bench VM),
   * on the first-token path of every billed request. So another process's grants, debits and
   * settled spend reach this process's reservations up to this much later (its journaled debits
   * already reach the file up to its `commitDelayMs` after its answers); this process's own
   * writes, those of its checkpoint worker, and every settlement and non-fresh reservation (they
   * run in a transaction, where the question is free) are always exact. With `holds: 'shared'`
   * every batch asks.
   */
  peerCheckMs?: number
}

/** See SqliteStoreOptions.commitDelayMs. */
const DEFAULT_COMMIT_DELAY_MS = 10
/** See SqliteStoreOptions.peerCheckMs. */
const DEFAULT_PEER_CHECK_MS = 50

/** An option in milliseconds, `value` (the default when not given) from 0 to `max`. */
function millisecondsOption(name: string, given: unknown, value: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ ${name} }): a number of milliseconds from 0 to ${max}, not ${JSON.stringify(given)}` })
  }
  return value
}

/** The SQLite store plays both the state and the ledger role. */
export type SqliteStore = StateStoreV1 &
  LedgerStoreV1 & {
    readonly roles: { readonly state: 'mesh.state.v1'; readonly ledger: 'mesh.ledger.v1' }
    /** Deletes usage events that started before `before` (`billing.usageRetention`); never ledger entries. */
    pruneUsage(before: number): Promise<number>
    close(): Promise<void>
  }

/**
 * The embedded default store: state + ledger in one SQLite file (WAL mode), usage events in a
 * second one beside it (`usagePath`), opened on first use.
 * Several processes may open the same file; writes are serialised by SQLite's write lock and
 * every money operation is one `BEGIN IMMEDIATE` transaction.
 *
 * @example
 * stores: { state: sqlite(), ledger: sqlite() }
 */
export function sqlite(options: SqliteStoreOptions = {}): SqliteStore {
  if (options.holds !== undefined && options.holds !== 'shared' && options.holds !== 'process') {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ holds }): holds must be 'shared' or 'process', not ${JSON.stringify(options.holds)}` })
  }
  const commitDelayMs = millisecondsOption('commitDelayMs', options.commitDelayMs, options.commitDelayMs ?? DEFAULT_COMMIT_DELAY_MS, 1_000)
  const peerCheckMs = millisecondsOption('peerCheckMs', options.peerCheckMs, options.peerCheckMs ?? DEFAULT_PEER_CHECK_MS, 60_000)
  const workerStartBytes = options.workerStartBytes
  if (workerStartBytes !== undefined && (typeof workerStartBytes !== 'number' || !Number.isFinite(workerStartBytes) || workerStartBytes < 0)) {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ workerStartBytes }): a number of bytes, 0 or more, not ${JSON.stringify(workerStartBytes)}` })
  }
  const workerNice = options.workerNice
  if (workerNice !== undefined && (!Number.isInteger(workerNice) || workerNice < 0 || workerNice > 19)) {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ workerNice }): a whole number from 0 to 19, not ${JSON.stringify(workerNice)}` })
  }
  if (options.workerIdle !== undefined && typeof options.workerIdle !== 'boolean') {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ workerIdle }): true or false, not ${JSON.stringify(options.workerIdle)}` })
  }
  const path = options.path ?? '.mesh/mesh.db'
  if (options.usagePath !== undefined && (typeof options.usagePath !== 'string' || options.usagePath === '' || (options.usagePath === ':memory:') !== (path === ':memory:') || (path !== ':memory:' && resolve(options.usagePath) === resolve(path)))) {
    throw new StoreError({ code: 'invalid-input', store: 'sqlite store', message: `sqlite({ usagePath }): a file other than path (':memory:' only with path ':memory:'), not ${JSON.stringify(options.usagePath)}` })
  }
  const synchronous = options.synchronous ?? 'normal'
  const keepJournal = (options.debitJournal ?? true) && options.holds === 'process' && synchronous === 'normal'
  const connection = openConnection(
    { path, usagePath: options.usagePath, synchronous, busyTimeoutMs: options.busyTimeoutMs ?? 5_000, commitDelayMs, checkpointStartBytes: workerStartBytes, workerNice, workerIdle: options.workerIdle },
    'sqlite store',
  )
  // Journals left by an earlier process are replayed whatever this store's own settings.
  const money = sqliteLedgerMoney(connection, options.holds ?? 'shared', path === ':memory:' ? undefined : { path: resolve(path), keep: keepJournal, commitDelayMs, inWorker: options.debitsInWorker === true }, peerCheckMs)
  const { closeJournal, ...moneyMethods } = money
  return {
    specificationVersion: 'mesh.store.v1',
    roles: { state: 'mesh.state.v1', ledger: 'mesh.ledger.v1' },
    descriptor: { package: '@modelmesh/stores-sqlite', factory: 'sqlite', options },
    ...sqliteState(connection),
    ...sqliteLedgerRecords(connection),
    ...moneyMethods,
    async close() {
      await closeJournal()
      await connection.close()
    },
  }
}
