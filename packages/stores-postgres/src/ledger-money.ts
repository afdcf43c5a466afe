import {
  bucketOf,
  checkSettleAmount,
  compact,
  newReservation,
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
import { int, type Connection, type Queryable } from './connection.js'

const STORE = 'postgres ledger'

type MoneyMethods = Pick<LedgerStoreV1, 'balance' | 'append' | 'entries' | 'reserve' | 'settle' | 'release' | 'reservations' | 'spend'>

type Row = Record<string, string | number | null>
const ENTRY_COLUMNS = 'id, account_id, kind, amount, request_id, key_id, project_id, created_at, note'
const HOLD_COLUMNS = 'request_id, account_id, amount, key_id, project_id, created_at, expires_at'
/** Column of `mesh_reservations` that holds each scope's id (fixed names, never user input). */
const HOLD_SCOPE_COLUMN = { account: 'account_id', project: 'project_id', key: 'key_id' } as const

const toEntry = (row: Row): LedgerEntry =>
  compact({
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    amountMicroUsd: int(row.amount),
    requestId: row.request_id,
    keyId: row.key_id,
    projectId: row.project_id,
    createdAt: int(row.created_at),
    note: row.note,
  }) as LedgerEntry

const toReservation = (row: Row): Reservation =>
  newReservation({
    // Text columns (mesh_reservations), read as strings or null.
    requestId: row.request_id as string,
    accountId: row.account_id as string,
    amountMicroUsd: int(row.amount),
    keyId: row.key_id as string | null,
    projectId: row.project_id as string | null,
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
  })

/**
 * Every money operation is one transaction that first locks the account's row
 * (`SELECT … FOR UPDATE`). Operations on one account therefore run one after another across all
 * instances, and under READ COMMITTED each statement after the lock sees everything the previous
 * holder committed: the balance, holds and spend read are exactly what the decision needs.
 */
export function postgresLedgerMoney(db: Connection): MoneyMethods {
  const [accounts, entries, holds, spend] = ['mesh_accounts', 'mesh_entries', 'mesh_reservations', 'mesh_spend'].map(db.table) as [string, string, string, string]

  const lockAccount = async (client: Queryable, accountId: string): Promise<number> => {
    const row = (await client.query(`SELECT balance FROM ${accounts} WHERE id = $1 FOR UPDATE`, [accountId])).rows[0]
    if (!row) throw new StoreError({ code: 'not-found', store: STORE, message: `account "${accountId}" does not exist; create it with putAccount() first` })
    return int(row.balance)
  }
  const entryFor = async (client: Queryable, kind: string, requestId: string) => {
    const row = (await client.query<Row>(`SELECT ${ENTRY_COLUMNS} FROM ${entries} WHERE kind = $1 AND request_id = $2`, [kind, requestId])).rows[0]
    return row && toEntry(row)
  }
  const holdOf = async (client: Queryable, requestId: string) => {
    const row = (await client.query<Row>(`SELECT ${HOLD_COLUMNS} FROM ${holds} WHERE request_id = $1`, [requestId])).rows[0]
    return row && toReservation(row)
  }
  const heldIn = async (client: Queryable, scope: SpendScope, now: number) =>
    int((await client.query(`SELECT COALESCE(SUM(amount), 0) AS held FROM ${holds} WHERE ${HOLD_SCOPE_COLUMN[scope.kind]} = $1 AND expires_at > $2`, [scope.id, now])).rows[0]?.held)
  const spentIn = async (client: Queryable, scope: SpendScope, bucket: string) =>
    int((await client.query(`SELECT amount FROM ${spend} WHERE scope = $1 AND bucket = $2`, [`${scope.kind}:${scope.id}`, bucket])).rows[0]?.amount ?? 0)
  const otherAccount = (requestId: string, held: string, asked: string) =>
    new StoreError({ code: 'conflict', store: STORE, message: `request "${requestId}" holds a reservation on account "${held}", not "${asked}"` })

  /** Writes one entry, its balance change and (for usage) its spend; the caller holds the account lock. */
  const write = async (client: Queryable, entry: LedgerEntry): Promise<AppendResult> => {
    const inserted = await client.query(
      `INSERT INTO ${entries} (${ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (kind, request_id) WHERE request_id IS NOT NULL DO NOTHING`,
      [entry.id, entry.accountId, entry.kind, entry.amountMicroUsd, entry.requestId ?? null, entry.keyId ?? null, entry.projectId ?? null, entry.createdAt, entry.note ?? null],
    )
    if (inserted.rowCount === 0) {
      // Written before (this account's lock serialises replays; another account's replay lands here too).
      const existing = await entryFor(client, entry.kind, entry.requestId!)
      return { entry: sameAccount(STORE, existing!, entry.accountId), created: false }
    }
    await client.query(`UPDATE ${accounts} SET balance = balance + $1 WHERE id = $2`, [entry.amountMicroUsd, entry.accountId])
    if (entry.kind === 'usage') {
      if (entry.requestId !== undefined) await client.query(`DELETE FROM ${holds} WHERE request_id = $1`, [entry.requestId])
      const buckets = periodBuckets(entry.createdAt)
      await client.query(
        `INSERT INTO ${spend} (scope, bucket, amount) SELECT s, b, $3::bigint FROM unnest($1::text[]) s CROSS JOIN unnest($2::text[]) b
         ON CONFLICT (scope, bucket) DO UPDATE SET amount = ${spend}.amount + EXCLUDED.amount`,
        [spendScopesOf(entry).map((scope) => `${scope.kind}:${scope.id}`), [buckets.day, buckets.month, buckets.total], -entry.amountMicroUsd],
      )
    }
    return { entry, created: true }
  }

  return {
    async balance(accountId, now = Date.now()) {
      const { rows } = await db.query(
        `SELECT (SELECT balance FROM ${accounts} WHERE id = $1) AS balance,
                (SELECT COALESCE(SUM(amount), 0) FROM ${holds} WHERE account_id = $1 AND expires_at > $2) AS reserved`,
        [accountId, now],
      )
      const balanceMicroUsd = int(rows[0]?.balance ?? 0)
      const reservedMicroUsd = int(rows[0]?.reserved)
      return { balanceMicroUsd, reservedMicroUsd, availableMicroUsd: balanceMicroUsd - reservedMicroUsd }
    },
    async append(input) {
      const entry = newLedgerEntry(STORE, input)
      return db.transaction(async (client) => {
        await lockAccount(client, entry.accountId)
        return write(client, entry)
      })
    },
    async entries(accountId) {
      return (await db.query<Row>(`SELECT ${ENTRY_COLUMNS} FROM ${entries} WHERE account_id = $1 ORDER BY seq`, [accountId])).rows.map(toEntry)
    },

    async reserve(accountId, requestId, amount, options) {
      const input = reserveInput(STORE, accountId, requestId, amount, options)
      return db.transaction(async (client) => {
        const balance = await lockAccount(client, accountId)
        const held = await holdOf(client, requestId)
        if (held && held.expiresAt > input.now) {
          if (held.accountId !== accountId) throw otherAccount(requestId, held.accountId, accountId)
          return { ok: true, reservation: held, created: false } as const
        }
        // A fresh request id (the gateway's own) cannot have been settled: one round trip fewer.
        const settled = input.fresh ? undefined : await entryFor(client, 'usage', requestId)
        if (settled) return { ok: false, reason: 'already-settled', entry: settled } as const
        await client.query(`DELETE FROM ${holds} WHERE request_id = $1 OR (account_id = $2 AND expires_at <= $3)`, [requestId, accountId, input.now])
        const available = balance - (await heldIn(client, { kind: 'account', id: accountId }, input.now))
        const spentPerCap: number[] = []
        for (const { cap, scopeId } of input.caps) {
          const scope = { kind: cap.scope, id: scopeId }
          spentPerCap.push((await spentIn(client, scope, bucketOf(cap.period, input.now))) + (await heldIn(client, scope, input.now)))
        }
        const refusal = reserveRefusal(amount, input, available, spentPerCap)
        if (refusal) return refusal
        const { rows } = await client.query<Row>(`INSERT INTO ${holds} (${HOLD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${HOLD_COLUMNS}`, [
          requestId,
          accountId,
          amount,
          input.keyId ?? null,
          input.projectId ?? null,
          input.now,
          input.expiresAt,
        ])
        return { ok: true, reservation: toReservation(rows[0]!), created: true } as const
      })
    },
    async settle(accountId, requestId, actual, options = {}) {
      checkSettleAmount(STORE, accountId, requestId, actual)
      return db.transaction(async (client) => {
        await lockAccount(client, accountId)
        const hold = await holdOf(client, requestId)
        if (hold && hold.accountId !== accountId) throw otherAccount(requestId, hold.accountId, accountId)
        const owner = hold ?? options
        const entry = newLedgerEntry(STORE, { accountId, kind: 'usage', amountMicroUsd: -actual, requestId, keyId: owner.keyId, projectId: owner.projectId, note: options.note, createdAt: options.now })
        return write(client, entry)
      })
    },
    async release(accountId, requestId) {
      const { rows } = await db.query(`DELETE FROM ${holds} WHERE request_id = $1 AND account_id = $2 RETURNING expires_at`, [requestId, accountId])
      return rows.length > 0 && int(rows[0]!.expires_at) > Date.now()
    },
    async reservations(accountId, now = Date.now()) {
      const { rows } = await db.query<Row>(`SELECT ${HOLD_COLUMNS} FROM ${holds} WHERE account_id = $1 AND expires_at > $2 ORDER BY created_at, request_id`, [accountId, now])
      return rows.map(toReservation)
    },
    async spend(scope, now = Date.now()) {
      const buckets = periodBuckets(now)
      const [day, month, total, reserved] = await Promise.all([
        spentIn(db, scope, buckets.day),
        spentIn(db, scope, buckets.month),
        spentIn(db, scope, buckets.total),
        heldIn(db, scope, now),
      ])
      return { dayMicroUsd: day, monthMicroUsd: month, totalMicroUsd: total, reservedMicroUsd: reserved }
    },
  }
}
