import { ChurnMap, Holds, JoinedKeys, newReservation, StoreError, type Reservation } from '@modelmesh/core'
import type { Connection } from './connection.js'

export interface HoldRow {
  request_id: string
  account_id: string
  amount: number
  key_id: string | null
  project_id: string | null
  created_at: number
  expires_at: number
}

export const HOLD_COLUMNS = 'request_id, account_id, amount, key_id, project_id, created_at, expires_at'

export const toReservation = (row: HoldRow): Reservation =>
  newReservation({ requestId: row.request_id, accountId: row.account_id, amountMicroUsd: row.amount, keyId: row.key_id, projectId: row.project_id, createdAt: row.created_at, expiresAt: row.expires_at })

/** Rows per multi-row spend upsert (its statements are cached: one per row count up to this). */
const SPEND_ROWS_PER_STATEMENT = 32
/** The upsert's text per row count, built once. */
const SPEND_UPSERT_SQL: string[] = []

/** Above this many cached balances and spend rows the cache starts over at the next batch. */
const CACHE_LIMIT = 50_000

/** `clear` only a map with something in it: V8 gives a map a new table on `clear`, even an empty one. */
const clearIfAny = (map: { readonly size: number; clear(): void }) => {
  if (map.size > 0) map.clear()
}

/**
 * What the money operations read and write, kept in memory across group-commit batches and used
 * only inside them: balances, spend rows and the reservation holds. It is exact because
 *
 * - it is read and changed only inside a batch's `BEGIN IMMEDIATE` transaction (the write lock);
 * - at the start of every batch `PRAGMA data_version` tells whether another connection (another
 *   process, another store on the same file) committed since: then everything is read again
 *   (with process-local holds, a batch outside any transaction asks at most every `peerCheckMs`,
 *   and always after this process's checkpoint worker committed debits: see `begin`);
 * - an operation changes it only after its one SQL write succeeded (operations run without a
 *   savepoint: a failing statement undoes itself), and a batch that rolls back drops it all.
 *
 * Balance and spend changes are aggregated per batch and written just before `COMMIT` (one
 * UPDATE per account and one upsert per scope and bucket however many settlements), as are the
 * deletions of holds; until then reads inside the batch see them through the cache.
 */
export class MoneyCache {
  private valid = false
  /** A batch read a balance or a spend row from the tables (a miss) since it began. */
  private tablesRead = false
  /** In-memory changes made in the running batch outside the maps below (process-local holds, the journaled overlay), undone if it rolls back. */
  private undo: Array<() => void> = []
  private dataVersion: number | undefined
  /** When `data_version` was last read (performance.now()), and the worker's commit sequence just before. */
  private checkedAt = -Infinity
  private checkedWorker: Connection['checkpointer'] = undefined
  private checkedSeq: number | undefined
  private readonly balances = new Map<string, number>()
  private readonly spent = new Map<string, number>()
  /** `<scope key>\n<bucket>`, one string per pair (`JoinedKeys`). */
  private readonly spendKeys = new JoinedKeys('\n', CACHE_LIMIT)
  private holdTable: Holds | undefined
  // (ChurnMaps: a batch's deltas are set and cleared ~100 times a second at 1,000 req/s.)
  private readonly balanceDelta = new ChurnMap<string, number>()
  private readonly spendDelta = new ChurnMap<string, number>()
  private readonly holdDeletes = new Set<string>()
  /**
   * Settlements acknowledged from the debit journal and not yet written to the tables: their
   * change to balances and spend rows, which every read of the cache adds (in or out of a batch),
   * so an operation asked before their commit sees them as settled. Not part of the cache proper:
   * kept when it is dropped, and moved into it by the batch that writes each settlement.
   */
  private readonly journaledBalance = new ChurnMap<string, number>()
  private readonly journaledSpend = new ChurnMap<string, number>()

  /**
   * @param processHolds holds live in this process's memory only (`sqlite({ holds: 'process' })`):
   *   never written to `mesh_reservations`, never read back from it, kept when the cache is dropped.
   */
  constructor(
    private readonly db: Connection,
    private readonly store: string,
    readonly processHolds = false,
    /** Runs first in every batch, before the cache is checked: brings the journaled overlay up to date (debits the worker committed). */
    private readonly beforeBegin?: () => void,
    /** Process-local holds: see SqliteStoreOptions.peerCheckMs (0: every batch asks). */
    private readonly peerCheckMs = 0,
  ) {
    db.setBatchHooks({
      begin: (inTransaction) => {
        this.beforeBegin?.()
        this.begin(inTransaction)
      },
      beforeCommit: () => this.writeBack(),
      committed: () => {
        this.undo = []
      },
      readTables: () => this.tablesRead,
      aborted: () => {
        for (const undo of this.undo.reverse()) undo()
        this.undo = []
        this.forget()
      },
    })
  }

  private begin(inTransaction: boolean): void {
    this.tablesRead = false
    const worker = this.db.checkpointer
    const seq = worker?.commitSeq
    // Outside a transaction the PRAGMA is a read transaction of its own (its shared-memory locks:
    // 2-4 fcntl calls, 15-40 µs on the bench VM, on the first-token path of every billed request).
    // With process-local holds (one gateway process per file) only another process can have
    // written what the cache holds, and its holds are not seen anyway: asked at most every
    // peerCheckMs there. This process's worker committing debits is not another process: its
    // commit sequence moved (or is odd: a commit under way), so the version is read now.
    const full = this.balances.size + this.spent.size > CACHE_LIMIT
    if (!inTransaction && this.processHolds && this.valid && !full && performance.now() - this.checkedAt < this.peerCheckMs && worker === this.checkedWorker && seq === this.checkedSeq) return
    const version = this.db.prepare('PRAGMA data_version').pluck().get() as number
    if (!this.valid || version !== this.dataVersion || full) this.forget()
    this.dataVersion = version
    this.valid = true
    // The sequence read before the version: a commit after it shows as a new sequence next time.
    this.checkedAt = performance.now()
    this.checkedWorker = worker
    this.checkedSeq = seq
  }

  private forget(): void {
    this.valid = false
    // Long-lived maps: a new table of theirs is made in V8's old generation (bench/README, sixth
    // session of 2026-12-03). The deltas are empty here unless a batch rolled back.
    clearIfAny(this.balances)
    clearIfAny(this.spent)
    this.spendKeys.clear()
    clearIfAny(this.balanceDelta)
    clearIfAny(this.spendDelta)
    clearIfAny(this.holdDeletes)
    // Process-local holds are not a copy of the table: they are the only record there is.
    if (!this.processHolds) this.holdTable = undefined
  }

  private writeBack(): void {
    if (this.balanceDelta.size) {
      const update = this.db.prepare('UPDATE mesh_accounts SET balance = balance + ? WHERE id = ?')
      for (const [accountId, delta] of this.balanceDelta) if (delta !== 0) update.run(delta, accountId)
      this.balanceDelta.clear()
    }
    if (this.spendDelta.size) {
      // One multi-row upsert per SPEND_ROWS_PER_STATEMENT rows rather than one statement per row: a
      // lone settlement changes six rows (key and account × day, month, total).
      const params: Array<string | number> = []
      for (const [key, delta] of this.spendDelta) {
        const split = key.indexOf('\n')
        params.push(key.slice(0, split), key.slice(split + 1), delta)
        if (params.length === 3 * SPEND_ROWS_PER_STATEMENT) this.spendUpsert(SPEND_ROWS_PER_STATEMENT).run(params.splice(0))
      }
      if (params.length) this.spendUpsert(params.length / 3).run(params)
      this.spendDelta.clear()
    }
    if (this.holdDeletes.size) {
      const drop = this.db.prepare('DELETE FROM mesh_reservations WHERE request_id = ?')
      for (const requestId of this.holdDeletes) drop.run(requestId)
      this.holdDeletes.clear()
    }
  }

  /** `INSERT ... VALUES (?, ?, ?)` for each row `ON CONFLICT ... DO UPDATE`: adds each row's amount to its (scope, bucket). */
  private spendUpsert(rows: number) {
    const sql = (SPEND_UPSERT_SQL[rows] ??= `INSERT INTO mesh_spend (scope, bucket, amount) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')} ON CONFLICT (scope, bucket) DO UPDATE SET amount = amount + excluded.amount`)
    return this.db.prepare(sql)
  }

  /** The balance (with this batch's changes); `not-found` when the account does not exist. */
  requireAccount(accountId: string): number {
    const journaled = this.journaledBalance.size === 0 ? 0 : (this.journaledBalance.get(accountId) ?? 0)
    const cached = this.balances.get(accountId)
    if (cached !== undefined) return cached + journaled
    this.tablesRead = true
    const row = this.db.prepare('SELECT balance FROM mesh_accounts WHERE id = ?').get(accountId) as { balance: number } | undefined
    if (!row) throw new StoreError({ code: 'not-found', store: this.store, message: `account "${accountId}" does not exist; create it with putAccount() first` })
    this.balances.set(accountId, row.balance)
    return row.balance + journaled
  }

  /** Call after `requireAccount(accountId)` in the same operation. */
  addToBalance(accountId: string, amount: number): void {
    this.balances.set(accountId, this.balances.get(accountId)! + amount)
    this.balanceDelta.set(accountId, (this.balanceDelta.get(accountId) ?? 0) + amount)
  }

  /** Settled usage of a scope key in a bucket (with this batch's settlements). */
  spentIn(scope: string, bucket: string): number {
    const key = this.spendKeys.get(scope, bucket)
    const journaled = this.journaledSpend.size === 0 ? 0 : (this.journaledSpend.get(key) ?? 0)
    return this.spentAt(key, scope, bucket) + journaled
  }

  private spentAt(key: string, scope: string, bucket: string): number {
    const cached = this.spent.get(key)
    if (cached !== undefined) return cached
    this.tablesRead = true
    const row = this.db.prepare('SELECT amount FROM mesh_spend WHERE scope = ? AND bucket = ?').get(scope, bucket) as { amount: number } | undefined
    const amount = row?.amount ?? 0
    this.spent.set(key, amount)
    return amount
  }

  addToSpend(scope: string, bucket: string, amount: number): void {
    const key = this.spendKeys.get(scope, bucket)
    this.spent.set(key, this.spentAt(key, scope, bucket) + amount)
    this.spendDelta.set(key, (this.spendDelta.get(key) ?? 0) + amount)
  }

  /**
   * Adds (`sign` 1: journaled, not yet written) or takes back (`sign` -1: written by the running
   * batch, whose rollback puts it back; or, `final`, committed by the checkpoint worker: no undo)
   * a journaled usage entry's change: `amount` (negative) to the account's balance, its opposite
   * to each spend row (scope key, bucket).
   */
  journaled(sign: 1 | -1, accountId: string, amount: number, spend: ReadonlyArray<readonly [string, string]>, final = false): void {
    shift(this.journaledBalance, accountId, sign * amount)
    for (const [scope, bucket] of spend) shift(this.journaledSpend, this.spendKeys.get(scope, bucket), -sign * amount)
    if (sign === -1 && !final) this.undo.push(() => this.journaled(1, accountId, amount, spend))
  }

  /** The reservation table, read once while the cache stays valid (process-local holds: memory only). */
  get holds(): Holds {
    if (!this.holdTable) {
      const holds = new Holds()
      if (!this.processHolds) for (const row of this.db.prepare(`SELECT ${HOLD_COLUMNS} FROM mesh_reservations`).all() as HoldRow[]) holds.add(toReservation(row))
      this.holdTable = holds
    }
    return this.holdTable
  }

  /** Writes a hold (replacing a row of the same request id that is deleted in memory already). */
  insertHold(hold: Reservation): void {
    if (this.processHolds) {
      this.holds.add(hold)
      this.undo.push(() => this.holds.remove(hold))
      return
    }
    this.db
      .prepare(`INSERT OR REPLACE INTO mesh_reservations (${HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(hold.requestId, hold.accountId, hold.amountMicroUsd, hold.keyId ?? null, hold.projectId ?? null, hold.createdAt, hold.expiresAt)
    this.holdDeletes.delete(hold.requestId)
    this.holds.add(hold)
  }

  /** Drops a hold now in memory, and from the table when the batch commits. */
  deleteHold(hold: Reservation): void {
    this.holds.remove(hold)
    if (this.processHolds) this.undo.push(() => this.holds.add(hold))
    else this.holdDeletes.add(hold.requestId)
  }
}

/** Adds to a map's number, dropping the key when it comes back to zero. */
function shift(map: ChurnMap<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by
  if (next === 0) map.delete(key)
  else map.set(key, next)
}
