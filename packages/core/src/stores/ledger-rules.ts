import type {
  AccountRecord,
  LedgerEntry,
  LedgerEntryInput,
  ProjectRecord,
  Reservation,
  ReserveOptions,
  ReserveResult,
  SpendCap,
  SpendCaps,
  SpendScope,
  VirtualKeyRecord,
} from '../contracts/ledger-store.js'
import { uuidv7 } from '../ids/time-ordered-id.js'
import { StoreError } from './store-error.js'

// Rules every ledger store applies the same way, so SQLite, Postgres and memory agree.

/** How long a reservation holds money when `reserve` is not told (`ttlMs`). */
export const DEFAULT_RESERVATION_TTL_MS = 15 * 60_000

const CREDIT_KINDS = new Set(['grant', 'purchase', 'refund'])
const SHA256_HEX = /^[0-9a-f]{64}$/

function invalid(store: string, message: string): StoreError {
  return new StoreError({ code: 'invalid-input', store, message })
}

function requireId(store: string, what: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) throw invalid(store, `${what} must be a non-empty string, found ${JSON.stringify(value)}`)
}

function optionalId(store: string, what: string, value: unknown): void {
  if (value !== undefined) requireId(store, what, value)
}

/** Money is an integer number of micro-USD (1 USD = 1_000_000); floats are refused, not rounded. */
export function assertMicroUsd(store: string, what: string, value: unknown, min = Number.MIN_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const bound = min === 0 ? 'a non-negative ' : min === 1 ? 'a positive ' : 'an '
    throw invalid(store, `${what} must be ${bound}integer number of micro-USD (1 USD = 1000000), found ${JSON.stringify(value)}`)
  }
}

function checkTime(store: string, what: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(store, `${what} must be epoch milliseconds (a non-negative integer), found ${JSON.stringify(value)}`)
}

function checkCaps(store: string, what: string, caps: SpendCaps | undefined): void {
  if (caps === undefined) return
  for (const period of ['daily', 'monthly', 'total'] as const) {
    if (caps[period] !== undefined) assertMicroUsd(store, `${what}.${period}`, caps[period], 0)
  }
}

export function checkAccountRecord(store: string, account: AccountRecord): void {
  requireId(store, 'account.id', account?.id)
  checkTime(store, 'account.createdAt', account.createdAt)
  checkCaps(store, 'account.spendCapMicroUsd', account.spendCapMicroUsd)
}

export function checkProjectRecord(store: string, project: ProjectRecord): void {
  requireId(store, 'project.id', project?.id)
  requireId(store, 'project.accountId', project.accountId)
  checkTime(store, 'project.createdAt', project.createdAt)
  checkCaps(store, 'project.spendCapMicroUsd', project.spendCapMicroUsd)
}

/** Refuses anything that is not a SHA-256 hex digest, so a plaintext key cannot be stored by mistake. */
export function checkKeyRecord(store: string, key: VirtualKeyRecord): void {
  requireId(store, 'key.id', key?.id)
  requireId(store, 'key.accountId', key.accountId)
  optionalId(store, 'key.projectId', key.projectId)
  if (typeof key.hash !== 'string' || !SHA256_HEX.test(key.hash)) {
    throw invalid(store, `key.hash must be the SHA-256 of the key as 64 lowercase hex characters (never the plaintext key); found a ${typeof key.hash} of length ${String(key.hash).length}`)
  }
  if (typeof key.prefix !== 'string') throw invalid(store, 'key.prefix must be a string')
  if (!Array.isArray(key.scopes)) throw invalid(store, 'key.scopes must be an array of strings')
  checkTime(store, 'key.createdAt', key.createdAt)
  checkTime(store, 'key.expiresAt', key.expiresAt, true)
  checkTime(store, 'key.revokedAt', key.revokedAt, true)
  checkCaps(store, 'key.spendCapMicroUsd', key.spendCapMicroUsd)
}

/** Validates an `append` input and fills in `id` and `createdAt`. */
export function newLedgerEntry(store: string, input: LedgerEntryInput, now = Date.now()): LedgerEntry {
  requireId(store, 'entry.accountId', input?.accountId)
  optionalId(store, 'entry.id', input.id)
  optionalId(store, 'entry.requestId', input.requestId)
  optionalId(store, 'entry.keyId', input.keyId)
  optionalId(store, 'entry.projectId', input.projectId)
  checkTime(store, 'entry.createdAt', input.createdAt, true)
  assertMicroUsd(store, 'entry.amountMicroUsd', input.amountMicroUsd)
  if (input.kind === 'usage') {
    if (input.amountMicroUsd > 0) throw invalid(store, `a usage entry is a debit: amountMicroUsd must be zero or negative, found ${input.amountMicroUsd}`)
  } else if (CREDIT_KINDS.has(input.kind)) {
    if (input.amountMicroUsd <= 0) throw invalid(store, `a ${input.kind} entry is a credit: amountMicroUsd must be positive, found ${input.amountMicroUsd}`)
  } else throw invalid(store, `entry.kind must be one of grant, purchase, usage, refund; found ${JSON.stringify(input.kind)}`)
  if (input.note !== undefined && typeof input.note !== 'string') throw invalid(store, 'entry.note must be a string')
  // Field by field in `compact`'s order (absent and null fields left out): built once per billed
  // request, and `compact`'s keyed loop over its many callers' shapes is megamorphic.
  const entry: Record<string, unknown> = {
    id: input.id ?? uuidv7(now),
    accountId: input.accountId,
    kind: input.kind,
    // `-0` would survive JSON as 0 but not Object.is; normalise it.
    amountMicroUsd: input.amountMicroUsd === 0 ? 0 : input.amountMicroUsd,
  }
  if (input.requestId != null) entry.requestId = input.requestId
  if (input.keyId != null) entry.keyId = input.keyId
  if (input.projectId != null) entry.projectId = input.projectId
  entry.createdAt = input.createdAt ?? now
  if (input.note != null) entry.note = input.note
  return entry as unknown as LedgerEntry
}

/**
 * A reservation as the contract gives it, from a store's fields: null and absent `keyId` /
 * `projectId` left out, frozen. Field by field rather than through `compact` (one per billed
 * request; `compact`'s keyed loop over its many callers' shapes is megamorphic).
 */
export function newReservation(fields: {
  requestId: string
  accountId: string
  amountMicroUsd: number
  keyId?: string | null | undefined
  projectId?: string | null | undefined
  createdAt: number
  expiresAt: number
}): Reservation {
  const hold: { -readonly [K in keyof Reservation]?: Reservation[K] } = { requestId: fields.requestId, accountId: fields.accountId, amountMicroUsd: fields.amountMicroUsd }
  if (fields.keyId != null) hold.keyId = fields.keyId
  if (fields.projectId != null) hold.projectId = fields.projectId
  hold.createdAt = fields.createdAt
  hold.expiresAt = fields.expiresAt
  return Object.freeze(hold) as Reservation
}

/** The scopes an entry or a reservation counts towards: always its account, then its project and key. */
export function spendScopesOf(owner: { accountId: string; projectId?: string | undefined; keyId?: string | undefined }): SpendScope[] {
  const scopes: SpendScope[] = [{ kind: 'account', id: owner.accountId }]
  if (owner.projectId !== undefined) scopes.push({ kind: 'project', id: owner.projectId })
  if (owner.keyId !== undefined) scopes.push({ kind: 'key', id: owner.keyId })
  return scopes
}

const BUCKET_DAY_MS = 86_400_000
/** The last UTC day asked for: a gateway asks for the same day's buckets on every request. */
let lastDay: { from: number; to: number; buckets: Readonly<{ day: string; month: string; total: 'total' }> } | undefined

/**
 * UTC period buckets of a time: `d:2025-01-31`, `m:2025-01`, and `total`. The last day's are
 * cached, so the returned object is frozen and shared between calls on the same day.
 */
export function periodBuckets(at: number): Readonly<{ day: string; month: string; total: 'total' }> {
  if (lastDay && at >= lastDay.from && at < lastDay.to) return lastDay.buckets
  const iso = new Date(at).toISOString()
  const buckets = Object.freeze({ day: `d:${iso.slice(0, 10)}`, month: `m:${iso.slice(0, 7)}`, total: 'total' as const })
  const from = Math.floor(at / BUCKET_DAY_MS) * BUCKET_DAY_MS
  lastDay = { from, to: from + BUCKET_DAY_MS, buckets }
  return buckets
}

export function bucketOf(period: SpendCap['period'], at: number): string {
  return periodBuckets(at)[period]
}

export interface ReserveInput {
  readonly now: number
  readonly expiresAt: number
  readonly checkBalance: boolean
  readonly keyId?: string
  readonly projectId?: string
  /** Each cap with the id of the scope it applies to. */
  readonly caps: readonly { readonly cap: SpendCap; readonly scopeId: string }[]
  /** `ReserveOptions.fresh`: no debit can exist under this request id yet. */
  readonly fresh?: true
}

/** Validates `reserve` arguments and resolves defaults and the scope id of each cap. */
export function reserveInput(store: string, accountId: string, requestId: string, amount: number, options: ReserveOptions = {}): ReserveInput {
  requireId(store, 'accountId', accountId)
  requireId(store, 'requestId', requestId)
  assertMicroUsd(store, 'the reservation amount', amount, 0)
  optionalId(store, 'options.keyId', options.keyId)
  optionalId(store, 'options.projectId', options.projectId)
  const now = options.now ?? Date.now()
  checkTime(store, 'options.now', now)
  const ttlMs = options.ttlMs ?? DEFAULT_RESERVATION_TTL_MS
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw invalid(store, `options.ttlMs must be a positive integer, found ${JSON.stringify(ttlMs)}`)
  const caps = (options.caps ?? []).map((cap) => {
    assertMicroUsd(store, `the ${cap.scope} ${cap.period} cap limitMicroUsd`, cap.limitMicroUsd, 0)
    if (!['day', 'month', 'total'].includes(cap.period)) throw invalid(store, `cap.period must be day, month or total; found ${JSON.stringify(cap.period)}`)
    const scopeId = cap.scope === 'account' ? accountId : cap.scope === 'project' ? options.projectId : cap.scope === 'key' ? options.keyId : undefined
    if (scopeId === undefined) throw invalid(store, `a ${cap.scope} cap needs options.${cap.scope === 'project' ? 'projectId' : 'keyId'} (or cap.scope must be account, project or key)`)
    return { cap, scopeId }
  })
  // Field by field, as `compact` would leave it (absent and null fields out): once per billed request.
  const input: Record<string, unknown> = { now, expiresAt: now + ttlMs, checkBalance: options.checkBalance ?? true }
  if (options.keyId != null) input.keyId = options.keyId
  if (options.projectId != null) input.projectId = options.projectId
  input.caps = caps
  if (options.fresh === true) input.fresh = true
  return input as unknown as ReserveInput
}

/**
 * The decision of `reserve` once a store has read, inside its transaction, what is available and
 * what each cap's scope has spent (settled in the period + held). Undefined means "go ahead".
 */
export function reserveRefusal(
  amount: number,
  input: ReserveInput,
  availableMicroUsd: number,
  spentPerCap: readonly number[],
): Exclude<ReserveResult, { ok: true } | { reason: 'already-settled' }> | undefined {
  if (input.checkBalance && availableMicroUsd < amount) return { ok: false, reason: 'insufficient-credits', availableMicroUsd }
  for (const [index, { cap, scopeId }] of input.caps.entries()) {
    const spentMicroUsd = spentPerCap[index] ?? 0
    if (spentMicroUsd + amount > cap.limitMicroUsd) return { ok: false, reason: 'spend-cap', cap, scopeId, spentMicroUsd }
  }
  return undefined
}

/** Caps of a key, its project and its account, in the form `reserve` takes. */
export function spendCapsOf(records: { key?: VirtualKeyRecord; project?: ProjectRecord; account?: AccountRecord }): SpendCap[] {
  const caps: SpendCap[] = []
  const add = (scope: SpendCap['scope'], limits: SpendCaps | undefined) => {
    if (limits?.daily !== undefined) caps.push({ scope, period: 'day', limitMicroUsd: limits.daily })
    if (limits?.monthly !== undefined) caps.push({ scope, period: 'month', limitMicroUsd: limits.monthly })
    if (limits?.total !== undefined) caps.push({ scope, period: 'total', limitMicroUsd: limits.total })
  }
  add('key', records.key?.spendCapMicroUsd)
  add('project', records.project?.spendCapMicroUsd)
  add('account', records.account?.spendCapMicroUsd)
  return caps
}

export function checkSettleAmount(store: string, accountId: string, requestId: string, actual: number): void {
  requireId(store, 'accountId', accountId)
  requireId(store, 'requestId', requestId)
  assertMicroUsd(store, 'the settled amount', actual, 0)
}

/**
 * `pruneUsage(before)` as every store does it: `before` checked (epoch ms), then `deleteBatch(before,
 * batchSize)` (delete at most that many usage events started before it, resolve how many) until a
 * batch comes back short. Short transactions: writers wait for one batch at a time, not the backlog.
 */
export async function pruneUsageInBatches(store: string, before: number, batchSize: number, deleteBatch: (before: number, limit: number) => Promise<number>): Promise<number> {
  if (typeof before !== 'number' || !Number.isFinite(before)) throw invalid(store, `pruneUsage needs a time in epoch milliseconds, found ${JSON.stringify(before)}`)
  let deleted = 0
  for (;;) {
    const changes = await deleteBatch(before, batchSize)
    deleted += changes
    if (changes < batchSize) return deleted
  }
}

/** An idempotent replay must name the same account as the entry it replays. */
export function sameAccount(store: string, existing: LedgerEntry, accountId: string): LedgerEntry {
  if (existing.accountId !== accountId) {
    throw new StoreError({ code: 'conflict', store, message: `request "${existing.requestId}" already has a ${existing.kind} entry on account "${existing.accountId}", not "${accountId}"` })
  }
  return existing
}

/** Drops `undefined` fields, so records compare equal whichever store produced them. */
export function compact<T extends object>(record: T): T {
  // for…in over an own-properties literal, without the [key, value] arrays of Object.entries: this
  // runs several times per billed request.
  const out: Record<string, unknown> = {}
  const source = record as Record<string, unknown>
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue
    const value = source[key]
    if (value !== undefined && value !== null) out[key] = value
  }
  return out as T
}
