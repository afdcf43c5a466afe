import {
  bucketOf,
  checkSettleAmount,
  compact,
  newLedgerEntry,
  periodBuckets,
  reserveInput,
  reserveRefusal,
  sameAccount,
  spendScopesOf,
  StoreError,
  type AppendResult,
  type LedgerEntry,
  type LedgerStoreV1,
  type Reservation,
  type SpendScope,
} from '@modelmesh/core'
import type { Connection } from './connection.js'

const STORE = 'sqlite ledger'

type MoneyMethods = Pick<LedgerStoreV1, 'balance' | 'append' | 'entries' | 'reserve' | 'settle' | 'release' | 'reservations' | 'spend'>

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
interface HoldRow {
  request_id: string
  account_id: string
  amount: number
  key_id: string | null
  project_id: string | null
  created_at: number
  expires_at: number
}

const ENTRY_COLUMNS = 'id, account_id, kind, amount, request_id, key_id, project_id, created_at, note'
const HOLD_COLUMNS = 'request_id, account_id, amount, key_id, project_id, created_at, expires_at'
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

const toReservation = (row: HoldRow): Reservation =>
  compact({
    requestId: row.request_id,
    accountId: row.account_id,
    amountMicroUsd: row.amount,
    keyId: row.key_id,
    projectId: row.project_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }) as Reservation

export function sqliteLedgerMoney(db: Connection): MoneyMethods {
  const accountBalance = (accountId: string) => (db.prepare('SELECT balance FROM mesh_accounts WHERE id = ?').get(accountId) as { balance: number } | undefined)?.balance
  const requireAccount = (accountId: string): number => {
    const balance = accountBalance(accountId)
    if (balance === undefined) throw new StoreError({ code: 'not-found', store: STORE, message: `account "${accountId}" does not exist; create it with putAccount() first` })
    return balance
  }
  const entryFor = (kind: string, requestId: string) => {
    const row = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mesh_entries WHERE kind = ? AND request_id = ?`).get(kind, requestId) as EntryRow | undefined
    return row && toEntry(row)
  }
  const heldIn = (scope: SpendScope, now: number) =>
    (db.prepare(`SELECT COALESCE(SUM(amount), 0) AS held FROM mesh_reservations WHERE ${HOLD_SCOPE_COLUMN[scope.kind]} = ? AND expires_at > ?`).get(scope.id, now) as { held: number }).held
  const spentIn = (scope: SpendScope, bucket: string) =>
    (db.prepare('SELECT amount FROM mesh_spend WHERE scope = ? AND bucket = ?').get(`${scope.kind}:${scope.id}`, bucket) as { amount: number } | undefined)?.amount ?? 0
  const holdOf = (requestId: string) => {
    const row = db.prepare(`SELECT ${HOLD_COLUMNS} FROM mesh_reservations WHERE request_id = ?`).get(requestId) as HoldRow | undefined
    return row && toReservation(row)
  }
  const otherAccount = (requestId: string, held: string, asked: string) =>
    new StoreError({ code: 'conflict', store: STORE, message: `request "${requestId}" holds a reservation on account "${held}", not "${asked}"` })

  /** Writes one entry, its balance change and (for usage) its spend, inside the caller's transaction. */
  const write = (entry: LedgerEntry): AppendResult => {
    if (entry.requestId !== undefined) {
      const existing = entryFor(entry.kind, entry.requestId)
      if (existing) return { entry: sameAccount(STORE, existing, entry.accountId), created: false }
    }
    requireAccount(entry.accountId)
    db.prepare(`INSERT INTO mesh_entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
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
    db.prepare('UPDATE mesh_accounts SET balance = balance + ? WHERE id = ?').run(entry.amountMicroUsd, entry.accountId)
    if (entry.kind === 'usage') {
      if (entry.requestId !== undefined) db.prepare('DELETE FROM mesh_reservations WHERE request_id = ?').run(entry.requestId)
      const buckets = periodBuckets(entry.createdAt)
      const add = db.prepare('INSERT INTO mesh_spend (scope, bucket, amount) VALUES (?, ?, ?) ON CONFLICT (scope, bucket) DO UPDATE SET amount = amount + excluded.amount')
      for (const scope of spendScopesOf(entry)) {
        for (const bucket of [buckets.day, buckets.month, buckets.total]) add.run(`${scope.kind}:${scope.id}`, bucket, -entry.amountMicroUsd)
      }
    }
    return { entry, created: true }
  }

  return {
    async balance(accountId, now = Date.now()) {
      return db.snapshot(() => {
        const balanceMicroUsd = accountBalance(accountId) ?? 0
        const reservedMicroUsd = heldIn({ kind: 'account', id: accountId }, now)
        return { balanceMicroUsd, reservedMicroUsd, availableMicroUsd: balanceMicroUsd - reservedMicroUsd }
      })
    },
    async append(input) {
      const entry = newLedgerEntry(STORE, input)
      return db.batched(() => write(entry))
    },
    async entries(accountId) {
      return (db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mesh_entries WHERE account_id = ? ORDER BY seq`).all(accountId) as EntryRow[]).map(toEntry)
    },

    async reserve(accountId, requestId, amount, options) {
      const input = reserveInput(STORE, accountId, requestId, amount, options)
      // The batch's BEGIN IMMEDIATE takes the database's write lock before the first read, so the
      // balance, holds and spend read here cannot change before the hold is inserted, in this
      // process or another; requests of one batch run one after another in it.
      return db.batched(() => {
        const balance = requireAccount(accountId)
        const held = holdOf(requestId)
        if (held && held.expiresAt > input.now) {
          if (held.accountId !== accountId) throw otherAccount(requestId, held.accountId, accountId)
          return { ok: true, reservation: held, created: false } as const
        }
        const settled = entryFor('usage', requestId)
        if (settled) return { ok: false, reason: 'already-settled', entry: settled } as const
        if (held) db.prepare('DELETE FROM mesh_reservations WHERE request_id = ?').run(requestId)
        db.prepare('DELETE FROM mesh_reservations WHERE account_id = ? AND expires_at <= ?').run(accountId, input.now)
        const available = balance - heldIn({ kind: 'account', id: accountId }, input.now)
        const spentPerCap = input.caps.map(({ cap, scopeId }) => {
          const scope = { kind: cap.scope, id: scopeId }
          return spentIn(scope, bucketOf(cap.period, input.now)) + heldIn(scope, input.now)
        })
        const refusal = reserveRefusal(amount, input, available, spentPerCap)
        if (refusal) return refusal
        const row: HoldRow = {
          request_id: requestId,
          account_id: accountId,
          amount,
          key_id: input.keyId ?? null,
          project_id: input.projectId ?? null,
          created_at: input.now,
          expires_at: input.expiresAt,
        }
        db.prepare(`INSERT INTO mesh_reservations (${HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(...Object.values(row))
        return { ok: true, reservation: toReservation(row), created: true } as const
        // A hold needs atomicity, not durability: it dies with the process that took it.
      }, 'volatile')
    },
    async settle(accountId, requestId, actual, options = {}) {
      checkSettleAmount(STORE, accountId, requestId, actual)
      return db.batched(() => {
        const hold = holdOf(requestId)
        if (hold && hold.accountId !== accountId) throw otherAccount(requestId, hold.accountId, accountId)
        const owner = hold ?? options
        const entry = newLedgerEntry(STORE, {
          accountId,
          kind: 'usage',
          amountMicroUsd: -actual,
          requestId,
          keyId: owner.keyId,
          projectId: owner.projectId,
          note: options.note,
          createdAt: options.now,
        })
        return write(entry)
      })
    },
    async release(accountId, requestId) {
      return db.batched(() => {
        const hold = holdOf(requestId)
        if (!hold || hold.accountId !== accountId) return false
        db.prepare('DELETE FROM mesh_reservations WHERE request_id = ?').run(requestId)
        return hold.expiresAt > Date.now()
      }, 'volatile')
    },
    async reservations(accountId, now = Date.now()) {
      const rows = db.prepare(`SELECT ${HOLD_COLUMNS} FROM mesh_reservations WHERE account_id = ? AND expires_at > ? ORDER BY created_at, request_id`).all(accountId, now) as HoldRow[]
      return rows.map(toReservation)
    },
    async spend(scope, now = Date.now()) {
      const buckets = periodBuckets(now)
      return db.snapshot(() => ({
        dayMicroUsd: spentIn(scope, buckets.day),
        monthMicroUsd: spentIn(scope, buckets.month),
        totalMicroUsd: spentIn(scope, buckets.total),
        reservedMicroUsd: heldIn(scope, now),
      }))
    },
  }
}
