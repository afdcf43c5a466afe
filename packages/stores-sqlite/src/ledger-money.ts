import {
  ChurnMap,
  ChurnSet,
  checkSettleAmount,
  compact,
  newLedgerEntry,
  newReservation,
  periodBuckets,
  reserveInput,
  reserveRefusal,
  sameAccount,
  scopeKey,
  spendScopesOf,
  StoreError,
  type AppendResult,
  type LedgerEntry,
  type LedgerStoreV1,
  type Reservation,
  type SettleOptions,
  type SpendScope,
} from '@modelmesh/core'
import type { Connection } from './connection.js'
import { DebitJournal } from './debit-journal.js'
import { WorkerStoppedError, type DeltaBatch } from './checkpoint.js'
import { HOLD_COLUMNS, MoneyCache, toReservation, type HoldRow } from './money-cache.js'

const STORE = 'sqlite ledger'

type MoneyMethods = Pick<LedgerStoreV1, 'balance' | 'append' | 'entries' | 'reserve' | 'settle' | 'release' | 'reservations' | 'spend'> & {
  /** Waits until every journaled settlement is committed to the tables, then closes the journal. */
  closeJournal(): Promise<void>
}

interface EntryRow {
  id: string
  account_id: string
  kind: LedgerEntry['kind']
  amount: number
  request_id: string | null
  key_id: string | null
  project_id: string | null
  created_at: number
  note: string | null
}

const ENTRY_COLUMNS = 'id, account_id, kind, amount, request_id, key_id, project_id, created_at, note'
// Statement texts of the per-request path, built once: the connection's statement cache is a Map,
// and a text built anew on every call is hashed anew on every look-up.
const INSERT_ENTRY = `INSERT INTO mesh_entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
const SELECT_ENTRY = `SELECT ${ENTRY_COLUMNS} FROM mesh_entries WHERE kind = ? AND request_id = ?`
/** A journaled debit as the checkpoint worker writes it: stored already (another process settled the request), nothing else runs. */
const INSERT_ENTRY_IF_NEW = `${INSERT_ENTRY} ON CONFLICT DO NOTHING`
/** The two sums of a journaled debit in the worker (`DeltaBatch.sums`): the amount bound first, then the key. */
const DEBIT_SUMS = ['UPDATE mesh_accounts SET balance = balance + ? WHERE id = ?', 'INSERT INTO mesh_spend (amount, scope, bucket) VALUES (?, ?, ?) ON CONFLICT (scope, bucket) DO UPDATE SET amount = amount + excluded.amount'] as const
/**
 * Settlements journaled in one turn of the event loop at most; the others of that turn join the
 * next batch, and the turn after such a full one journals only its first. One was the rule until
 * 2026-12-02: at 1,000 req/s the second settlement of a turn (~8 % of them) then waited for a
 * commit, behind the checkpoint worker's gate at times — p90 5.5, p99 13 ms for those — the
 * largest part of the gateway's own p99 (bench/README).
 */
const JOURNALED_PER_TURN = 4
/** Journaled debits handed to the checkpoint worker in one transaction at most (more: another one). */
const MAX_DEBITS_PER_TICKET = 64
/** A row of `mesh_spend`: scope key ('key:<id>', …) and bucket ('d:2030-01-15', 'm:2030-01', 'total'). */
type SpendRow = readonly [scope: string, bucket: string]
/** Column of `mesh_reservations` that holds each scope's id (fixed names, never user input). */
const HOLD_SCOPE_COLUMN = { account: 'account_id', project: 'project_id', key: 'key_id' } as const

const toEntry = (row: EntryRow): LedgerEntry =>
  compact({
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    amountMicroUsd: row.amount,
    requestId: row.request_id,
    keyId: row.key_id,
    projectId: row.project_id,
    createdAt: row.created_at,
    note: row.note,
  }) as LedgerEntry

/**
 * Where reservation holds live: `shared` — in `mesh_reservations`, committed by `reserve`, so every
 * process on the file sees them; `process` — in this process's memory only: `reserve` and
 * `release` write nothing and need no transaction (see `SqliteStoreOptions.holds`).
 */
export type HoldsMode = 'shared' | 'process'

/**
 * @param journals the database file (absolute path) whose debit journals to replay before the
 *   first money operation (any mode: a file last used with the journal may be opened without it),
 *   and whether to keep one (see DebitJournal: with process-local holds, a lone settlement is then
 *   acknowledged once journaled, before its commit).
 */
export function sqliteLedgerMoney(
  db: Connection,
  holdsMode: HoldsMode = 'shared',
  journals?: { readonly path: string; readonly keep: boolean; readonly commitDelayMs?: number; readonly inWorker?: boolean },
  /** See SqliteStoreOptions.peerCheckMs (process-local holds only). */
  peerCheckMs = 0,
): MoneyMethods {
  // Reads and writes of the group-commit batches go through the cache (see MoneyCache); reads
  // outside a batch (balance, spend, reservations) read the tables, which every commit leaves
  // complete (process-local holds: the cache's, which are the only copy).
  const processHolds = holdsMode === 'process'
  /**
   * Journaled debits in the checkpoint worker's hands, oldest ticket first. The cache counts each
   * (its overlay) until a batch sees its ticket committed, as the batch begins: the committed
   * ticket it reads then holds for everything it reads from the tables (a batch that writes holds
   * the worker's gate; one that does not is run again if a ticket became visible meanwhile:
   * `Connection.writeInWorker`).
   */
  const inWorker: Array<{ ticket: number; entry: LedgerEntry; rows: readonly SpendRow[] }> = []
  const committedByWorker = () => {
    if (inWorker.length === 0) return
    const done = db.workerCommitted
    while (inWorker.length > 0 && inWorker[0]!.ticket <= done) {
      const { entry, rows } = inWorker.shift()!
      cache.journaled(-1, entry.accountId, entry.amountMicroUsd, rows, true)
    }
  }
  // (Only with `debitsInWorker`: otherwise no batch has anything to look up.)
  const cache = new MoneyCache(db, STORE, processHolds, journals?.inWorker ? committedByWorker : undefined, peerCheckMs)
  const holdDurability = processHolds ? 'none' : 'volatile'
  const accountBalance = (accountId: string) => (db.prepare('SELECT balance FROM mesh_accounts WHERE id = ?').get(accountId) as { balance: number } | undefined)?.balance
  const entryFor = (kind: string, requestId: string) => {
    const row = db.prepare(SELECT_ENTRY).get(kind, requestId) as EntryRow | undefined
    return row && toEntry(row)
  }
  const heldIn = (scope: SpendScope, now: number) =>
    processHolds
      ? cache.holds.heldIn(scopeKey(scope.kind, scope.id), now)
      : (db.prepare(`SELECT COALESCE(SUM(amount), 0) AS held FROM mesh_reservations WHERE ${HOLD_SCOPE_COLUMN[scope.kind]} = ? AND expires_at > ?`).get(scope.id, now) as { held: number }).held
  const spentIn = (scope: SpendScope, bucket: string) =>
    (db.prepare('SELECT amount FROM mesh_spend WHERE scope = ? AND bucket = ?').get(scopeKey(scope.kind, scope.id), bucket) as { amount: number } | undefined)?.amount ?? 0
  const otherAccount = (requestId: string, held: string, asked: string) =>
    new StoreError({ code: 'conflict', store: STORE, message: `request "${requestId}" holds a reservation on account "${held}", not "${asked}"` })

  // The debit journal (process-local holds only: one gateway process per file). `journaling`:
  // request ids whose settlement is journaled and not yet committed; `unapplied`: journaled
  // entries (this process's and replayed ones) not yet committed; `applying`: their commits,
  // which reads outside a batch wait for (read-your-writes in this process).
  const journal = journals?.keep && processHolds ? new DebitJournal(journals.path) : undefined
  /** This process's journaled settlements not yet committed, by request id; their hold is gone and the cache counts them (`MoneyCache.journaled`). */
  const journaling = new ChurnMap<string, LedgerEntry>()
  let unapplied = 0
  /**
   * Holds reserved under a `fresh` request id (the caller made the id for this request: nothing
   * can be settled under it). Their lone settlement needs no look-up of an earlier debit.
   */
  const freshHolds = new WeakSet<Reservation>()
  /** Settlements asked, and journaled, in this turn of the event loop (reset in its check phase). */
  let settlesThisTurn = 0
  let journaledThisTurn = 0
  /** How many settlements of a turn may be journaled: JOURNALED_PER_TURN, or one after a turn with more settlements than that (saturation). */
  let journalLimit = JOURNALED_PER_TURN
  const endOfTurn = () => {
    journalLimit = settlesThisTurn > JOURNALED_PER_TURN ? 1 : JOURNALED_PER_TURN
    settlesThisTurn = 0
    journaledThisTurn = 0
  }
  /** The commits of journaled entries not yet done (the worker's, or this thread's retries: not in order). */
  const applying = new ChurnSet<Promise<boolean>>()
  let recovered = !journals
  /** Journal problems are reported once per process and kind (a broken disk would repeat them per request). */
  const warned = new Set<string>()
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return
    warned.add(kind)
    process.emitWarning(message, { code: 'MESH_DEBIT_JOURNAL' })
  }
  /** The spend rows (scope key, bucket) a usage entry adds to: each scope × day, month and total. */
  const spendRowsOf = (entry: LedgerEntry): SpendRow[] => {
    const buckets = periodBuckets(entry.createdAt)
    const rows: SpendRow[] = []
    for (const scope of spendScopesOf(entry)) {
      const key = scopeKey(scope.kind, scope.id)
      rows.push([key, buckets.day], [key, buckets.month], [key, buckets.total])
    }
    return rows
  }
  /**
   * Writes a journaled entry to the tables in a batch (background work: it may wait
   * `commitDelayMs` for company); resolves true once it is committed. `own`: this process
   * journaled it, and these are its spend rows (its hold is gone and the cache counts it until
   * this batch writes it); otherwise an entry replayed from an earlier process's journal, which
   * may be stored already.
   * A commit that fails is tried twice more, a second apart; then a warning is emitted and the
   * promise resolves false: the entry stays in the journal (not emptied, not removed), and the
   * next process that opens the file stores it. Reads stop waiting for it then.
   */
  const apply = (entry: LedgerEntry, own?: readonly SpendRow[]): Promise<boolean> => {
    unapplied++
    const committed: Promise<boolean> = (own && journals?.inWorker && db.checkpointer?.running ? viaWorker(entry, own) : applyHere(entry, own)).then((stored) => {
      unapplied--
      applying.delete(committed)
      return stored
    })
    applying.add(committed)
    return committed
  }
  /** `apply` in a batch of this thread. */
  const applyHere = (entry: LedgerEntry, own?: readonly SpendRow[]): Promise<boolean> => {
    const attempt = (left: number): Promise<boolean> =>
      db
        .batched(
          () => {
            if (!own) return write(entry)
            write(entry, undefined, own)
            cache.journaled(-1, entry.accountId, entry.amountMicroUsd, own)
          },
          // Nothing waits for this commit (the journal holds the entry): it may wait for company.
          { savepoint: false, background: true, delay: true },
        )
        .then(
          () => true,
          (error: unknown) => {
            if (left > 0) return new Promise((retry) => setTimeout(retry, 1_000).unref()).then(() => attempt(left - 1))
            warnOnce('store', `the debit of request ${entry.requestId} (account ${entry.accountId}) is in the debit journal but could not be stored: ${(error as Error)?.message}; the next process to open the database stores it (further such failures are not reported)`)
            return false
          },
        )
    return attempt(2)
  }
  /**
   * A journaled debit of this process written by the checkpoint worker (off the event loop), with
   * the others of the next `commitDelayMs`, in one transaction: its entry (skipped with the rest
   * if the request's debit is stored already: another process settled it), the account's balance
   * and its spend rows. If that transaction fails or the worker stops before committing it, this
   * thread writes them (applyHere: an entry stored meanwhile is found by the unique index).
   */
  const viaWorker = (entry: LedgerEntry, rows: readonly SpendRow[]): Promise<boolean> =>
    new Promise<boolean>((settle) => {
      toWorker.push({ entry, rows, settle })
      if (toWorker.length >= MAX_DEBITS_PER_TICKET) sendToWorker()
      else toWorkerTimer ??= setTimeout(sendToWorker, journals?.commitDelayMs ?? 0)
    })
  let toWorker: Array<{ entry: LedgerEntry; rows: readonly SpendRow[]; settle: (stored: boolean | Promise<boolean>) => void }> = []
  let toWorkerTimer: ReturnType<typeof setTimeout> | undefined
  const sendToWorker = () => {
    if (toWorkerTimer) clearTimeout(toWorkerTimer)
    toWorkerTimer = undefined
    const sent = toWorker
    if (sent.length === 0) return
    toWorker = []
    const batch: DeltaBatch = { insert: INSERT_ENTRY_IF_NEW, sums: DEBIT_SUMS, items: sent.map(({ entry, rows }) => debitItem(entry, rows)) }
    let records: typeof inWorker = []
    const ticket = db.writeInWorker(batch, (error) => {
      if (error === undefined) {
        for (const item of sent) item.settle(true)
        return
      }
      // Not written (and, the worker refusing later tickets until this one is answered, no later
      // ticket can be committed meanwhile): out of the worker's list before any batch reads it.
      const code = (error as { code?: string }).code
      if (!(error instanceof WorkerStoppedError) && code !== 'MESH_WORKER_REFUSED') {
        warnOnce('worker', `the background worker could not commit journaled debits (${(error as Error)?.message}); the main thread commits them (further such failures are not reported)`)
      }
      for (const record of records) inWorker.splice(inWorker.indexOf(record), 1)
      for (const { entry, rows, settle } of sent) settle(applyHere(entry, rows))
    })
    if (ticket === undefined) {
      for (const { entry, rows, settle } of sent) settle(applyHere(entry, rows))
      return
    }
    records = sent.map(({ entry, rows }) => ({ ticket, entry, rows }))
    inWorker.push(...records)
  }
  /** One journaled debit for the worker: its entry's row, and what it adds to its balance and spend rows. */
  const debitItem = (entry: LedgerEntry, rows: readonly SpendRow[]): DeltaBatch['items'][number] => {
    const adds: Array<readonly [number, readonly string[], number]> = [[0, [entry.accountId], entry.amountMicroUsd]]
    for (const row of rows) adds.push([1, row, -entry.amountMicroUsd])
    return {
      params: [entry.id, entry.accountId, entry.kind, entry.amountMicroUsd, entry.requestId ?? null, entry.keyId ?? null, entry.projectId ?? null, entry.createdAt, entry.note ?? null],
      adds,
    }
  }
  /** Once per process, before the first money operation: replays what earlier processes journaled. */
  const recover = () => {
    if (recovered) return
    recovered = true
    const { entries, discard } = DebitJournal.recover(journals!.path)
    const valid: LedgerEntry[] = []
    for (const entry of entries) {
      try {
        // Checked as any new entry is (a line that parses but is not one is skipped).
        if (entry?.kind === 'usage') valid.push(newLedgerEntry(STORE, entry))
      } catch {
        // not an entry
      }
    }
    if (valid.length === 0) return discard()
    void Promise.all(valid.map((entry) => apply(entry))).then((stored) => {
      // A journal is removed only once everything in it is stored.
      if (stored.every(Boolean)) discard()
    })
  }
  /**
   * Appends a settlement's entry to this process's journal and queues its commit; false when the
   * journal cannot be written (disk full, permissions): the caller then waits for the commit.
   */
  const journaled = (entry: LedgerEntry, hold: Reservation): boolean => {
    try {
      journal!.append(entry)
    } catch (error) {
      warnOnce('append', `the debit journal cannot be written (${(error as Error)?.message}); settlements wait for their commit instead (further such failures are not reported)`)
      return false
    }
    journaledThisTurn++
    // From now on the request is settled for this process: its hold goes, the cache counts its debit.
    journaling.set(entry.requestId!, entry)
    cache.holds.remove(hold)
    const rows = spendRowsOf(entry)
    cache.journaled(1, entry.accountId, entry.amountMicroUsd, rows)
    void apply(entry, rows).then((stored) => {
      journaling.delete(entry.requestId!)
      if (stored) journal!.applied()
    })
    return true
  }
  /** Reads outside a batch see this process's journaled settlements. */
  const settledReads = async () => {
    recover()
    if (unapplied > 0) {
      sendToWorker()
      db.hurry()
      await Promise.all(applying)
    }
  }

  /** The usage entry of a settlement; key and project from the request's hold, or from the settle's options. */
  const usageEntry = (accountId: string, requestId: string, actual: number, owner: { keyId?: string; projectId?: string }, options: SettleOptions) =>
    newLedgerEntry(STORE, { accountId, kind: 'usage', amountMicroUsd: -actual, requestId, keyId: owner.keyId, projectId: owner.projectId, note: options.note, createdAt: options.now })

  /**
   * Writes one entry, its balance change and (for usage) its spend, inside a batch. `hold` is the
   * request's reservation when the caller has it: a usage entry and a hold of the same request
   * never exist together (writing the entry drops the hold, and reserve refuses a settled
   * request), so then there is no entry to look for first — with process-local holds another
   * process may have settled the request without seeing the hold: the INSERT's unique index tells.
   * The INSERT is the operation's only SQL write, and comes before any change to the cache.
   * `journaled`: the spend rows of this process's journaled settlement (looked up when journaled;
   * its hold went then).
   */
  const existingResult = (entry: LedgerEntry, hold: Reservation | undefined): AppendResult | undefined => {
    const existing = entryFor(entry.kind, entry.requestId!)
    if (!existing) return undefined
    const settled = sameAccount(STORE, existing, entry.accountId)
    if (hold) cache.deleteHold(hold)
    return { entry: settled, created: false }
  }
  const write = (entry: LedgerEntry, hold?: Reservation, journaled?: readonly SpendRow[]): AppendResult => {
    const settlingHold = (hold !== undefined || journaled !== undefined) && entry.kind === 'usage'
    if (entry.requestId !== undefined && !settlingHold) {
      // This process's journaled debit of the request, not in the tables yet (the worker writes it).
      const pending = entry.kind === 'usage' ? journaling.get(entry.requestId) : undefined
      if (pending) return { entry: sameAccount(STORE, pending, entry.accountId), created: false }
      const existing = existingResult(entry, hold)
      if (existing) return existing
    }
    cache.requireAccount(entry.accountId)
    try {
      db.prepare(INSERT_ENTRY).run(
        entry.id,
        entry.accountId,
        entry.kind,
        entry.amountMicroUsd,
        entry.requestId ?? null,
        entry.keyId ?? null,
        entry.projectId ?? null,
        entry.createdAt,
        entry.note ?? null,
      )
    } catch (error) {
      // Process-local holds: another process may have settled this request without seeing the
      // hold. The unique (kind, request_id) index says so — cheaper than a lookup before every settle.
      const existing = settlingHold && processHolds && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? existingResult(entry, hold) : undefined
      if (existing) return existing
      throw error
    }
    cache.addToBalance(entry.accountId, entry.amountMicroUsd)
    if (entry.kind === 'usage') {
      // (A journaled settlement's hold went when it was journaled; a hold of its id now is a new one.)
      const held = journaled ? undefined : (hold ?? (entry.requestId !== undefined ? cache.holds.byRequest.get(entry.requestId) : undefined))
      if (held) cache.deleteHold(held)
      for (const [scope, bucket] of journaled ?? spendRowsOf(entry)) cache.addToSpend(scope, bucket, -entry.amountMicroUsd)
    }
    return { entry, created: true }
  }

  return {
    async balance(accountId, now = Date.now()) {
      await settledReads()
      return db.snapshot(() => {
        const balanceMicroUsd = accountBalance(accountId) ?? 0
        const reservedMicroUsd = heldIn({ kind: 'account', id: accountId }, now)
        return { balanceMicroUsd, reservedMicroUsd, availableMicroUsd: balanceMicroUsd - reservedMicroUsd }
      })
    },
    async append(input) {
      recover()
      const entry = newLedgerEntry(STORE, input)
      return db.batched(() => write(entry), { savepoint: false })
    },
    async entries(accountId) {
      await settledReads()
      return (db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mesh_entries WHERE account_id = ? ORDER BY seq`).all(accountId) as EntryRow[]).map(toEntry)
    },

    async reserve(accountId, requestId, amount, options) {
      const input = reserveInput(STORE, accountId, requestId, amount, options)
      recover()
      // The batch's BEGIN IMMEDIATE takes the database's write lock before the first read, so the
      // balance, holds and spend read here cannot change before the hold is inserted, in this
      // process or another; requests of one batch run one after another in it.
      // A hold needs atomicity, not durability: it dies with the process that took it.
      // Process-local holds need neither the lock nor a commit: nothing else can see them, and
      // JavaScript runs this function whole, so the reads and the hold are one step.
      return db.batched(
        () => {
          const balance = cache.requireAccount(accountId)
          const holds = cache.holds
          const held = holds.byRequest.get(requestId)
          if (held && held.expiresAt > input.now) {
            if (held.accountId !== accountId) throw otherAccount(requestId, held.accountId, accountId)
            return { ok: true, reservation: held, created: false } as const
          }
          const settled = input.fresh ? undefined : (journaling.get(requestId) ?? entryFor('usage', requestId))
          if (settled) return { ok: false, reason: 'already-settled', entry: settled } as const
          // Expired holds (this request's, and the account's) go; they no longer count anyway.
          if (held) cache.deleteHold(held)
          const account = scopeKey('account', accountId)
          for (const expired of holds.expiredIn(account, input.now)) cache.deleteHold(expired)
          const available = balance - holds.heldIn(account, input.now)
          const spentPerCap = input.caps.map(({ cap, scopeId }) => {
            const scope = scopeKey(cap.scope, scopeId)
            return cache.spentIn(scope, periodBuckets(input.now)[cap.period]) + holds.heldIn(scope, input.now)
          })
          const refusal = reserveRefusal(amount, input, available, spentPerCap)
          if (refusal) return refusal
          const reservation = newReservation({ requestId, accountId, amountMicroUsd: amount, keyId: input.keyId, projectId: input.projectId, createdAt: input.now, expiresAt: input.expiresAt })
          cache.insertHold(reservation)
          if (input.fresh) freshHolds.add(reservation)
          return { ok: true, reservation, created: true } as const
        },
        // A fresh request id needs no look-up of an earlier debit; with process-local holds the
        // reserve then reads nothing that needs one snapshot (cold caches read in their own).
        { durability: holdDurability, savepoint: false, snapshot: !input.fresh },
      )
    },
    async settle(accountId, requestId, actual, options = {}) {
      checkSettleAmount(STORE, accountId, requestId, actual)
      recover()
      // A settlement of a hold this process took, while no batch is waiting: journaled (one write)
      // and acknowledged, committed by a later batch — the commit leaves the response path. Up to
      // JOURNALED_PER_TURN of them in one turn of the event loop (a few requests ending together
      // at moderate load, or a burst after a stall); past that it is load: the others join the
      // next batch and share its commit (which commits the journaled ones too), and while turns
      // stay that full only the first of each is journaled — a write() per settlement costs more
      // CPU under saturation than that shared commit (bench/README).
      if (journal && settlesThisTurn++ === 0) setImmediate(endOfTurn)
      const hold = journal && !db.busy && journaledThisTurn < journalLimit ? cache.holds.byRequest.get(requestId) : undefined
      // The look-up keeps `created` exact when another process settled the request already (or
      // a caller reserved a settled id again): a read, not a commit — and none for a hold reserved
      // under a fresh id (ReserveOptions.fresh: nothing can have been settled under it).
      if (hold && hold.accountId === accountId && !journaling.has(requestId) && (freshHolds.has(hold) || !entryFor('usage', requestId))) {
        const entry = usageEntry(accountId, requestId, actual, hold, options)
        if (journaled(entry, hold)) return { entry, created: true }
      }
      return db.batched(
        () => {
          const hold = cache.holds.byRequest.get(requestId)
          if (hold && hold.accountId !== accountId) throw otherAccount(requestId, hold.accountId, accountId)
          return write(usageEntry(accountId, requestId, actual, hold ?? options, options), hold)
        },
        { savepoint: false },
      )
    },
    async release(accountId, requestId) {
      recover()
      return db.batched(
        () => {
          const hold = cache.holds.byRequest.get(requestId)
          if (!hold || hold.accountId !== accountId) return false
          cache.deleteHold(hold)
          return hold.expiresAt > Date.now()
        },
        { durability: holdDurability, savepoint: false },
      )
    },
    async reservations(accountId, now = Date.now()) {
      await settledReads()
      if (processHolds) return cache.holds.activeIn(scopeKey('account', accountId), now)
      const rows = db.prepare(`SELECT ${HOLD_COLUMNS} FROM mesh_reservations WHERE account_id = ? AND expires_at > ? ORDER BY created_at, request_id`).all(accountId, now) as HoldRow[]
      return rows.map(toReservation)
    },
    async spend(scope, now = Date.now()) {
      await settledReads()
      const buckets = periodBuckets(now)
      return db.snapshot(() => ({
        dayMicroUsd: spentIn(scope, buckets.day),
        monthMicroUsd: spentIn(scope, buckets.month),
        totalMicroUsd: spentIn(scope, buckets.total),
        reservedMicroUsd: heldIn(scope, now),
      }))
    },
    async closeJournal() {
      // A commit that keeps failing is not waited for long: its entries stay in the journal, for
      // the next process to replay.
      sendToWorker()
      db.hurry()
      if (unapplied > 0) await Promise.race([Promise.all(applying), new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
      journal?.close()
    },
  }
}
