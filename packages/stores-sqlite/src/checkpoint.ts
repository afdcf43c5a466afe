import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface CheckpointResult {
  /** 1 when the checkpoint could not complete (another checkpoint, or a writer/reader in the way). */
  readonly busy: number
  /** Frames in the WAL. */
  readonly log: number
  /** Frames of it copied into the database file. */
  readonly checkpointed: number
}

/** A worker thread that checkpoints the WAL of one database file with its own connection. */
export interface Checkpointer {
  /**
   * Call before a batch's transaction: false while the worker holds the write lock for a
   * RESTART/TRUNCATE (run the batch a little later then). Pair a true with `leaveBatch()`.
   */
  enterBatch(): boolean
  leaveBatch(): void
  /** Calls `then` as soon as the worker gives the gate back (at once if it is free; after 5 ms at the latest). */
  whenGateFree(then: () => void): void
  /** Run one checkpoint now, in the worker. */
  checkpoint(mode?: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): Promise<CheckpointResult>
  /**
   * Runs `sql` once per row (its bound parameters), all in one `BEGIN IMMEDIATE` transaction on
   * the worker's connection to the usage database (`usagePath`: another file, so no gate to wait
   * for); resolves with the rows changed once it is committed, rejects (nothing written) if it fails. With `jsonColumn`,
   * each row's value at that index is handed over as it is (a structured clone) and bound as its
   * `JSON.stringify` text, made by the worker — the serialisation is the worker's work, not the
   * event loop's. A value that cannot be cloned rejects with the clone's `DataCloneError`.
   */
  writeRows(sql: string, rows: ReadonlyArray<readonly unknown[]>, jsonColumn?: number): Promise<number>
  /**
   * Writes `batch` in one `BEGIN IMMEDIATE` transaction on the worker's connection, as `writeRows`,
   * and once it is committed publishes `ticket` (see `committedTicket`) before the main thread
   * may run its next batch. `done` is called synchronously from the message handler: with no
   * argument once committed, with the error otherwise (nothing of it was written). After a
   * failure the worker refuses every later ticket (`done(error)`, nothing written) until `resume()`:
   * the committed ticket never passes one the main thread still counts as in the worker.
   */
  writeDeltas(batch: DeltaBatch, ticket: number, done: (error?: unknown) => void): void
  /** Ends the refusal that follows a failed `writeDeltas` (call once every ticket sent has been answered). */
  resume(): void
  /** The last ticket `writeDeltas` committed (0: none); exact while the main thread holds the batch gate. */
  readonly committedTicket: number
  /**
   * Odd while `writeDeltas` commits (from just before its `COMMIT` until the ticket is published),
   * one more after: a reader that sees the same even value before and after its reads knows no
   * ticket became visible in between (a sequence lock).
   */
  readonly commitSeq: number
  /** Transactions `writeRows` and `writeDeltas` committed (for tests and diagnostics). */
  readonly rowWrites: number
  /** False once the worker has exited (closed, or failed). */
  readonly running: boolean
  /** Stops the worker: resolves when its thread has exited and its connection is closed. */
  close(): Promise<void>
}

export interface CheckpointerOptions {
  /** How often the worker checkpoints; default 200 ms. */
  readonly intervalMs?: number
  /** The WAL size the worker keeps under (see above); default 64 MiB. */
  readonly maxWalBytes?: number
  /** How long `writeRows` and `writeDeltas` wait for another connection's write lock; default 5000 ms. */
  readonly busyTimeoutMs?: number
  /** The usage database `writeRows` writes to: an existing WAL database, another file than the one checkpointed (it takes no gate). */
  readonly usagePath: string
  /**
   * Added to the worker thread's nice value (Linux: its own scheduling priority; default 0, the
   * process's). Where the thread's id cannot be found (not Linux), or the change is refused, it
   * keeps the process's priority.
   */
  readonly nice?: number
  /**
   * Linux: run the worker thread under SCHED_IDLE (set at its start with util-linux's `chrt`, Node
   * has no call for it): it runs only on a core that has nothing else to run, and a thread woken onto
   * its core takes the core at once. Without `chrt`, elsewhere, or if refused, the policy stays.
   */
  readonly idle?: boolean
}

/** `Atomics.waitAsync` (Node ≥ 16; in TypeScript's lib from es2024). */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> }
}

/**
 * Ledger-shaped writes (`writeDeltas`): one `insert` per item — an item whose insert changes no row
 * (`ON CONFLICT DO NOTHING` that found its row) adds nothing — then, for the items inserted, the
 * amounts each adds to a row, summed per statement and key and run once per key with the sum then
 * the key's values bound in that order (`UPDATE t SET n = n + ? WHERE id = ?`).
 */
export interface DeltaBatch {
  readonly insert: string
  readonly sums: readonly string[]
  readonly items: ReadonlyArray<{
    readonly params: readonly unknown[]
    /** [index into `sums`, the row's key values, amount]. */
    readonly adds: ReadonlyArray<readonly [sum: number, key: readonly (string | number)[], amount: number]>
  }>
}

/** A `writeRows` or `checkpoint` that the worker could not run because it stopped (the caller may run the work itself). */
export class WorkerStoppedError extends Error {
  constructor() {
    super('the checkpoint worker has stopped')
  }
}

// The worker's program (CommonJS, evaluated: the package needs no second entry point).
//
// A PASSIVE checkpoint never waits for, nor blocks, the writer; but under steady writes it never
// quite finishes (frames arrive while it copies), and SQLite starts the WAL over from its
// beginning only after a checkpoint that finished. So: PASSIVE every `intervalMs` (sooner while
// there is a backlog), and a RESTART — which holds the write lock while it copies the last
// frames — once the WAL is past a quarter of `maxWalBytes` and the PASSIVE just before it left
// at most CATCH_UP frames; a TRUNCATE (which also gives the file's space back) when nothing was
// written since the last round. Those two run only while the main thread is between batches (the
// PASSIVE too when the gate is free, never waiting for it, so that the write that starts the WAL over
// after it is the worker's):
// `gate` (shared memory) is 0 when free, 2 while the main thread runs a batch, 1 while the
// worker holds the write lock, so the main thread defers its next batch by a millisecond rather
// than sleep in SQLite's busy handler on the event loop. Should the WAL still grow past
// `maxWalBytes` (the worker starved of CPU, a long reader in another process), the worker says so
// and the main connection checkpoints by itself meanwhile.
//
// The worker also writes rows the main thread hands it (`writeRows`: usage records, which no
// money operation reads) in one transaction on its own connection to the usage database (another
// file: SQLite's automatic checkpoint of that WAL runs here, in this thread), so their SQL and
// commit leave the event loop and never wait for, nor make wait, the main thread's batches. It may
// wait for another process's lock on that file (busy_timeout). `writeDeltas` takes the gate as for
// an exclusive checkpoint (waiting as long as it takes, the main thread's batches are short) and
// writes ledger-shaped writes
// (journaled debits with `debitsInWorker`: entries, then balance and spend rows summed), and
// publishes the caller's ticket in shared memory right after its commit, still under the gate,
// with a sequence lock (`seq`, odd around the COMMIT) for main-thread batches that take no gate: so
// a batch knows exactly which tickets are in the tables it reads. After a failed ticket it refuses
// later ones until 'resume'.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const gate = new Int32Array(workerData.gate)
const committed = new BigInt64Array(workerData.committed)
const seq = new Int32Array(workerData.seq)
const db = new Database(workerData.path, { fileMustExist: true })
// This thread's id (Linux, from /proc/thread-self; 0 elsewhere).
const threadId = () => {
  try {
    const self = require('node:fs').readlinkSync('/proc/thread-self')
    return Number(self.slice(self.lastIndexOf('/') + 1)) || 0
  } catch {
    return 0
  }
}
// With \`nice\` (sqlite({ workerNice })): background work at a lower priority than the event loop's
// (Linux: setpriority on this thread's id). Elsewhere, or if refused, the process's priority stays.
if (workerData.nice > 0) {
  try {
    const tid = threadId()
    const os = require('node:os')
    if (tid > 0) os.setPriority(tid, Math.min(19, os.getPriority(tid) + workerData.nice))
  } catch {}
}
// With \`idle\` (sqlite({ workerIdle })): SCHED_IDLE, set by util-linux's chrt on this thread's id
// (no Node call sets a policy). The kernel then never queues a thread woken onto this core behind
// this one: on EEVDF a woken event loop otherwise waits out the worker's slice (a usage batch,
// ~0.3-0.7 ms) while the other core idles. Without chrt, elsewhere, or if refused, the policy stays.
if (workerData.idle) {
  try {
    const tid = threadId()
    if (tid > 0) require('node:child_process').execFileSync('chrt', ['-i', '-p', '0', String(tid)], { stdio: 'ignore', timeout: 5000 })
  } catch {}
}
db.pragma('busy_timeout = 0')
// writeDeltas writes ledger entries: their account must exist, as on the main connection.
db.pragma('foreign_keys = ON')
const pageSize = db.pragma('page_size', { simple: true })
const hardFrames = Math.max(1, Math.floor(workerData.maxWalBytes / pageSize))
const softFrames = Math.max(1, Math.floor(hardFrames / 4))
const CATCH_UP = 1024
const run = (mode) => db.pragma('wal_checkpoint(' + mode + ')')[0]
/** Gives the gate back to the main thread and wakes a batch waiting for it. */
const releaseGate = () => {
  Atomics.store(gate, 0, 0)
  Atomics.notify(gate, 0)
}
const readVersion = db.prepare('PRAGMA user_version').pluck()
/**
 * Once a checkpoint has copied every frame (PASSIVE or RESTART), the next commit starts the WAL over
 * from its beginning and, under synchronous=NORMAL, first fsyncs the WAL's new header. The worker
 * makes that commit itself, under the gate, with a write that changes nothing (the schema version,
 * read and written back in one write transaction): else the main thread's next batch waits for that
 * fsync on the event loop (~0.5 ms here, twice a second at 1,000 req/s). Best effort: if another
 * process holds the write lock, or the main thread wrote in between, the next writer restarts the
 * WAL, as before.
 */
const restartLog = () => {
  try {
    control.begin.run()
    db.pragma('user_version = ' + Number(readVersion.get()))
    control.commit.run()
  } catch {
    if (db.inTransaction) control.rollback.run()
  }
}
/**
 * Whether a checkpoint left the WAL for the next writer to start over: every frame copied, and more
 * than the one frame of the worker's own restarting write (so an idle database, whose WAL only holds
 * that write, is not written to again and again; a TRUNCATE empties it).
 */
const startsOver = (result) => result.busy === 0 && result.log > 1 && result.checkpointed === result.log
/** Runs \`work\` holding the gate if the main thread is between batches (never waits for it); undefined if it was not free. */
const whileGateFree = (work) => {
  if (Atomics.compareExchange(gate, 0, 0, 1) !== 0) return undefined
  try {
    return work()
  } finally {
    releaseGate()
  }
}
/** Runs an exclusive checkpoint while the main thread is between batches (waiting for that up to 50 ms). */
const exclusive = (mode) => {
  const until = Date.now() + 50
  while (Atomics.compareExchange(gate, 0, 0, 1) !== 0) {
    if (Date.now() > until) return undefined
    Atomics.wait(gate, 0, 2, 5)
  }
  try {
    const result = run(mode)
    if (mode === 'RESTART' && startsOver(result)) restartLog()
    return result
  } finally {
    releaseGate()
  }
}
const statements = new Map()
/** The usage database's connection (opened at the first writeRows) and its statements. */
let usageDb
const usageStatements = new Map()
const usageConnection = () => {
  if (usageDb) return usageDb
  usageDb = new Database(workerData.usagePath, { fileMustExist: true })
  usageDb.pragma('busy_timeout = ' + Number(workerData.busyTimeoutMs))
  usageDb.pragma('synchronous = NORMAL')
  // When a commit starts the WAL over, the file's space beyond this is given back.
  usageDb.pragma('journal_size_limit = ' + 64 * 1024 * 1024)
  return usageDb
}
const control = {
  begin: db.prepare('BEGIN IMMEDIATE'),
  commit: db.prepare('COMMIT'),
  rollback: db.prepare('ROLLBACK'),
  patient: db.prepare('PRAGMA busy_timeout = ' + Number(workerData.busyTimeoutMs)),
  impatient: db.prepare('PRAGMA busy_timeout = 0'),
}
/** \`sql\` prepared on \`connection\`, once per \`cache\`. */
const cached = (cache, connection, sql) => {
  let prepared = cache.get(sql)
  if (!prepared) cache.set(sql, (prepared = connection.prepare(sql)))
  return prepared
}
const statement = (sql) => cached(statements, db, sql)
/**
 * Runs \`work\` in one transaction; only the transaction runs under the gate. \`publish\` runs once
 * it is committed, still under the gate (before the main thread's next batch); with it, \`seq\` is
 * odd from just before the COMMIT until after \`publish\`.
 */
const transaction = (work, publish) => {
  // Another process's write lock is waited for here (a worker may sleep); checkpoints keep 0.
  control.patient.run()
  try {
    while (Atomics.compareExchange(gate, 0, 0, 1) !== 0) Atomics.wait(gate, 0, 2, 5)
    try {
      control.begin.run()
      try {
        const result = work()
        if (!publish) {
          control.commit.run()
          return result
        }
        Atomics.add(seq, 0, 1)
        try {
          control.commit.run()
          publish()
        } finally {
          Atomics.add(seq, 0, 1)
        }
        return result
      } catch (error) {
        if (db.inTransaction) control.rollback.run()
        throw error
      }
    } finally {
      releaseGate()
    }
  } finally {
    control.impatient.run()
  }
}
const writeRows = (sql, given, jsonColumn) => {
  // Serialised before the transaction: the write lock is held for the inserts only.
  const rows = jsonColumn === undefined ? given : given.map((row) => row.map((value, i) => (i === jsonColumn ? JSON.stringify(value) : value)))
  const usage = usageConnection()
  const insert = cached(usageStatements, usage, sql)
  return usage
    .transaction(() => {
      let changes = 0
      for (const row of rows) changes += insert.run(row).changes
      return changes
    })
    .immediate()
}
/** Set when a writeDeltas transaction failed: later tickets are refused until the main thread says 'resume'. */
let refusing = false
const writeDeltas = (batch, ticket) => {
  if (refusing) throw Object.assign(new Error('an earlier transaction of the worker failed'), { code: 'MESH_WORKER_REFUSED' })
  try {
    return transaction(
      () => {
        const insert = statement(batch.insert)
        // Per sum statement: key (values joined) → [key values, total].
        const totals = batch.sums.map(() => new Map())
        for (const item of batch.items) {
          if (insert.run(item.params).changes === 0) continue
          for (const [sum, key, amount] of item.adds) {
            const joined = key.join('\u0000')
            const total = totals[sum].get(joined)
            if (total) total[1] += amount
            else totals[sum].set(joined, [key, amount])
          }
        }
        batch.sums.forEach((sql, i) => {
          if (totals[i].size === 0) return
          const add = statement(sql)
          for (const [key, amount] of totals[i].values()) if (amount !== 0) add.run(amount, ...key)
        })
      },
      () => Atomics.store(committed, 0, BigInt(ticket)),
    )
  } catch (error) {
    refusing = true
    throw error
  }
}
let previous = -1
let pressure = false
let timer
const setPressure = (on) => {
  if (on !== pressure) parentPort.postMessage({ type: 'pressure', on })
  pressure = on
}
/** A PASSIVE, and the restarting write at once if it copied every frame. */
const passiveAndRestart = () => {
  const result = run('PASSIVE')
  if (startsOver(result)) restartLog()
  return result
}
const round = () => {
  // The PASSIVE under the gate when the main thread is between batches (never waiting for it): no
  // batch of the main thread can then commit between a checkpoint that copied every frame and the
  // worker's restarting write (that commit would fsync the WAL's new header on the event loop: ~10
  // times in 15 s at 1,000 req/s when only the restart was gated, 1-2 ms each here). The main
  // thread's batches wait for the gate off the event loop meanwhile (whenGateFree). When a batch
  // runs, the PASSIVE goes ahead without the gate and the restart is tried after it.
  const gated = whileGateFree(passiveAndRestart)
  const result = gated ?? run('PASSIVE')
  const idle = result.log === previous && result.checkpointed === result.log
  previous = result.log
  const gap = result.log - result.checkpointed
  if ((idle && result.log > 0) || (result.log > softFrames && gap <= CATCH_UP)) {
    const done = exclusive(idle ? 'TRUNCATE' : 'RESTART')
    if (done && done.busy === 0) {
      previous = -1
      setPressure(false)
      return false
    }
  }
  if (!gated && startsOver(result)) whileGateFree(restartLog)
  if (result.log > hardFrames) setPressure(true)
  else if (result.log <= softFrames) setPressure(false)
  return gap > CATCH_UP
}
const tick = () => {
  let backlog = false
  try {
    backlog = round()
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String((error && error.message) || error) })
  }
  timer = setTimeout(tick, backlog ? Math.min(20, workerData.intervalMs) : workerData.intervalMs)
}
timer = setTimeout(tick, workerData.intervalMs)
/** Answers a request of the main thread with what \`work\` returns, or the error it throws. */
const answer = (id, work) => {
  try {
    parentPort.postMessage({ type: 'result', id, result: work() })
  } catch (error) {
    parentPort.postMessage({ type: 'result', id, error: String((error && error.message) || error), code: error && error.code })
  }
}
parentPort.on('message', (message) => {
  if (message.type === 'checkpoint') {
    answer(message.id, () => (message.mode === 'PASSIVE' ? run('PASSIVE') : exclusive(message.mode) || { busy: 1, log: -1, checkpointed: -1 }))
  } else if (message.type === 'write') {
    answer(message.id, () => writeRows(message.sql, message.rows, message.jsonColumn))
  } else if (message.type === 'deltas') {
    answer(message.id, () => writeDeltas(message.batch, message.ticket))
  } else if (message.type === 'resume') {
    refusing = false
  } else if (message.type === 'close') {
    clearTimeout(timer)
    db.close()
    if (usageDb) usageDb.close()
    parentPort.close()
  }
})
`

type FromWorker = { type: 'error'; message: string } | { type: 'pressure'; on: boolean } | { type: 'result'; id: number; result?: CheckpointResult | number; error?: string; code?: string }

/**
 * Starts the checkpoint worker for `path` (an existing WAL database). `onFailure` runs once if
 * the worker cannot start or dies unasked, so the caller can turn automatic checkpoints back on;
 * `onPressure(true)` asks for them while the WAL is over its bound, `onPressure(false)` ends that.
 * Resolves undefined when worker threads are not available at all.
 */
export function startCheckpointer(
  path: string,
  events: { onFailure: (error: unknown) => void; onPressure: (on: boolean) => void },
  options: CheckpointerOptions,
): Checkpointer | undefined {
  let worker: Worker
  const gate = new Int32Array(new SharedArrayBuffer(4))
  const committed = new BigInt64Array(new SharedArrayBuffer(8))
  const seq = new Int32Array(new SharedArrayBuffer(4))
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, usagePath: options.usagePath, driver, gate: gate.buffer, committed: committed.buffer, seq: seq.buffer, intervalMs: options.intervalMs ?? 200, maxWalBytes: options.maxWalBytes ?? 64 * 1024 * 1024, busyTimeoutMs: options.busyTimeoutMs ?? 5_000, nice: options.nice ?? 0, idle: options.idle === true },
    })
  } catch {
    return undefined
  }
  // The worker never keeps the process alive; `close()` stops it.
  worker.unref()
  let running = true
  let closing = false
  let failed = false
  let nextId = 0
  let rowWrites = 0
  const pending = new Map<number, { resolve: (result: never) => void; reject: (error: Error) => void }>()
  /** Sends one request to the worker; its answer settles the promise. */
  const ask = <T>(message: Record<string, unknown>): Promise<T> => {
    if (!running || closing) return Promise.reject(new WorkerStoppedError())
    return new Promise<T>((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve: resolve as (result: never) => void, reject })
      try {
        worker.postMessage({ ...message, id })
      } catch (error) {
        // Not sent (a value the structured clone refuses): nothing will answer it.
        pending.delete(id)
        reject(error)
      }
    })
  }
  const fail = (error: unknown) => {
    if (failed || closing) return
    failed = true
    events.onFailure(error)
  }
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      running = false
      // A worker gone in the middle of a checkpoint must not keep the gate shut.
      Atomics.store(gate, 0, 0)
      for (const request of pending.values()) request.reject(new WorkerStoppedError())
      pending.clear()
      if (!closing) fail(new Error(`the checkpoint worker exited with code ${code}`))
      resolve()
    })
  })
  worker.on('error', fail)
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'error') return
    if (message.type === 'pressure') return events.onPressure(message.on)
    const request = pending.get(message.id)
    pending.delete(message.id)
    if (message.error !== undefined) request?.reject(Object.assign(new Error(message.error), message.code === undefined ? {} : { code: message.code }))
    else request?.resolve(message.result as never)
  })

  return {
    get running() {
      return running
    },
    enterBatch() {
      return Atomics.compareExchange(gate, 0, 0, 2) !== 1
    },
    leaveBatch() {
      Atomics.store(gate, 0, 0)
      Atomics.notify(gate, 0)
    },
    whenGateFree(then) {
      // The worker notifies when it stores 0 (after a checkpoint or a transaction).
      const waiting = (Atomics as unknown as AtomicsWaitAsync).waitAsync(gate, 0, 1, 5)
      if (waiting.async) void waiting.value.then(then)
      else setImmediate(then)
    },
    checkpoint(mode = 'PASSIVE') {
      return ask<CheckpointResult>({ type: 'checkpoint', mode })
    },
    writeRows(sql, rows, jsonColumn) {
      return ask<number>({ type: 'write', sql, rows, jsonColumn }).then((changes) => {
        rowWrites++
        return changes
      })
    },
    writeDeltas(batch, ticket, done) {
      if (!running || closing) return done(new WorkerStoppedError())
      const id = nextId++
      pending.set(id, {
        resolve: () => {
          rowWrites++
          done()
        },
        reject: done,
      })
      worker.postMessage({ type: 'deltas', batch, ticket, id })
    },
    resume() {
      if (running && !closing) worker.postMessage({ type: 'resume' })
    },
    get committedTicket() {
      return Number(Atomics.load(committed, 0))
    },
    get commitSeq() {
      return Atomics.load(seq, 0)
    },
    get rowWrites() {
      return rowWrites
    },
    async close() {
      if (!running) return
      closing = true
      worker.postMessage({ type: 'close' })
      // A worker stuck in a checkpoint still goes, after a while.
      const timer = setTimeout(() => void worker.terminate(), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
