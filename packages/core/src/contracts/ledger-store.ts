import type { PluginDescriptor } from './plugin-descriptor.js'
import type { UsageEvent } from './usage-event.js'

// Money is always an integer number of micro-USD (1 USD = 1_000_000): never a float.

/** Spend caps in micro-USD per UTC day, UTC calendar month and all time. */
export interface SpendCaps {
  readonly daily?: number
  readonly monthly?: number
  readonly total?: number
}

export interface AccountRecord {
  readonly id: string
  readonly name?: string
  readonly spendCapMicroUsd?: SpendCaps
  readonly createdAt: number
}

export interface ProjectRecord {
  readonly id: string
  readonly accountId: string
  readonly name?: string
  readonly spendCapMicroUsd?: SpendCaps
  readonly createdAt: number
}

export interface VirtualKeyRecord {
  readonly id: string
  /** SHA-256 of the plaintext key, 64 lowercase hex characters; the plaintext is never stored. */
  readonly hash: string
  /** The first characters of the plaintext (`mk_live_ab12`), to recognise a key in lists. */
  readonly prefix: string
  readonly accountId: string
  readonly projectId?: string
  readonly name?: string
  readonly scopes: readonly string[]
  /** Public model names this key may call; absent means all. */
  readonly models?: readonly string[]
  readonly rpm?: number
  readonly tpm?: number
  readonly spendCapMicroUsd?: SpendCaps
  readonly expiresAt?: number
  readonly revokedAt?: number
  /** Set by `rotateKey` on the old key: the id of the key that replaces it. */
  readonly replacedBy?: string
  readonly createdAt: number
}

export type LedgerEntryKind = 'grant' | 'purchase' | 'usage' | 'refund'

/** An immutable ledger line. There is no way to change or delete one; corrections are new entries. */
export interface LedgerEntry {
  readonly id: string
  readonly accountId: string
  readonly kind: LedgerEntryKind
  /**
   * Signed change of the balance in micro-USD: positive for `grant`, `purchase` and `refund`,
   * zero or negative for `usage`.
   */
  readonly amountMicroUsd: number
  /** Idempotency: at most one entry per (kind, requestId). */
  readonly requestId?: string
  /** Who spent it (usage debits count towards the spend of this key and project). */
  readonly keyId?: string
  readonly projectId?: string
  readonly createdAt: number
  readonly note?: string
}

/** What `append` takes: the store assigns `id` and `createdAt` (now) when they are absent. */
export type LedgerEntryInput = Omit<LedgerEntry, 'id' | 'createdAt'> & { readonly id?: string; readonly createdAt?: number }

/** `created: false` means an entry with the same (kind, requestId) existed; `entry` is that one. */
export interface AppendResult {
  readonly entry: LedgerEntry
  readonly created: boolean
}

export interface AccountBalance {
  /** Sum of all entries. */
  readonly balanceMicroUsd: number
  /** Sum of the active (not expired) reservations. */
  readonly reservedMicroUsd: number
  /** `balance − reserved`: what a new reservation can use. */
  readonly availableMicroUsd: number
}

/** Money held for one in-flight request until it is settled or released. */
export interface Reservation {
  readonly requestId: string
  readonly accountId: string
  readonly amountMicroUsd: number
  readonly keyId?: string
  readonly projectId?: string
  readonly createdAt: number
  readonly expiresAt: number
}

export type SpendScopeKind = 'account' | 'project' | 'key'
export type SpendPeriod = 'day' | 'month' | 'total'

export interface SpendScope {
  readonly kind: SpendScopeKind
  readonly id: string
}

/** Spend of a scope: settled usage per UTC day / month / all time, plus what is held now. */
export interface SpendTotals {
  readonly dayMicroUsd: number
  readonly monthMicroUsd: number
  readonly totalMicroUsd: number
  readonly reservedMicroUsd: number
}

/**
 * A cap `reserve` enforces atomically. The scope's id is the reservation's: `account` →
 * `accountId`, `project` → `options.projectId`, `key` → `options.keyId`.
 */
export interface SpendCap {
  readonly scope: SpendScopeKind
  readonly period: SpendPeriod
  readonly limitMicroUsd: number
}

export interface ReserveOptions {
  /** Attribute the reservation (and its usage debit) to this key / project. */
  readonly keyId?: string
  readonly projectId?: string
  /** Caps checked in the same transaction: spent in the period + held + amount ≤ limit. */
  readonly caps?: readonly SpendCap[]
  /** Check the credit balance (default true); false for post-paid accounts limited by caps only. */
  readonly checkBalance?: boolean
  /** Lifetime of the hold; an expired hold stops counting (default 15 minutes). */
  readonly ttlMs?: number
  /** The caller's clock, epoch milliseconds (default `Date.now()`). */
  readonly now?: number
  /**
   * The caller made this request id for this request, a moment ago (the gateway's own id, not an
   * idempotency key): nothing can have been settled under it, so a store may skip its look-up of
   * an earlier debit (`already-settled`). A hint only: a store that ignores it is as correct.
   */
  readonly fresh?: boolean
}

export type ReserveResult =
  /** `created: false`: this request id already held an active reservation (nothing added). */
  | { readonly ok: true; readonly reservation: Reservation; readonly created: boolean }
  | { readonly ok: false; readonly reason: 'insufficient-credits'; readonly availableMicroUsd: number }
  | { readonly ok: false; readonly reason: 'spend-cap'; readonly cap: SpendCap; readonly scopeId: string; readonly spentMicroUsd: number }
  /** A usage debit for this request id exists: it was billed already. */
  | { readonly ok: false; readonly reason: 'already-settled'; readonly entry: LedgerEntry }

export interface SettleOptions {
  /** Used when no reservation exists (otherwise the reservation's attribution wins). */
  readonly keyId?: string
  readonly projectId?: string
  readonly note?: string
  readonly now?: number
}

export interface UsageQuery {
  readonly accountId?: string
  readonly projectId?: string
  readonly keyId?: string
  /** `timings.startedAt` range, epoch milliseconds: since ≤ startedAt < until. */
  readonly since?: number
  readonly until?: number
  /** Newest first; default 1000. */
  readonly limit?: number
}

/**
 * Accounts, projects, keys, the credits ledger and usage events. Every money operation is one
 * transaction, and idempotent by request id: recording the same request twice changes nothing
 * the second time. Writing to an account that does not exist is an error (`StoreError`).
 *
 * Reserve-then-settle: `reserve` holds an estimate before the upstream call, atomically, only
 * if `available` (balance − active reservations) and every given cap cover it; `settle`
 * replaces the hold by the usage debit of the real cost; `release` drops the hold of a request
 * that cost nothing. A budget is therefore never exceeded by more than what is in flight
 * (settled amounts above the estimate).
 */
export interface LedgerStoreV1 {
  readonly specificationVersion: 'mesh.store.v1'
  readonly roles: { readonly ledger: 'mesh.ledger.v1' }
  /** How to recreate this store from JSON (for the IR and the compile step). */
  readonly descriptor: PluginDescriptor

  /** Create or replace (the balance is not part of the record and is never replaced). */
  putAccount(account: AccountRecord): Promise<void>
  getAccount(id: string): Promise<AccountRecord | undefined>
  listAccounts(): Promise<AccountRecord[]>
  putProject(project: ProjectRecord): Promise<void>
  getProject(id: string): Promise<ProjectRecord | undefined>
  listProjects(accountId?: string): Promise<ProjectRecord[]>

  /** Create or replace by id. A hash that belongs to another key id is a `StoreError`. */
  putKey(key: VirtualKeyRecord): Promise<void>
  getKey(id: string): Promise<VirtualKeyRecord | undefined>
  findKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined>
  listKeys(filter?: { readonly accountId?: string; readonly projectId?: string }): Promise<VirtualKeyRecord[]>
  /** Sets `revokedAt` (the first revocation time is kept); resolves the key, undefined when unknown. */
  revokeKey(id: string, at: number): Promise<VirtualKeyRecord | undefined>
  /**
   * In one transaction: store `next`, and give the old key `expiresAt = min(its own, oldExpiresAt)`
   * (the grace period) and `replacedBy = next.id`. Resolves the old key as updated; when it is
   * unknown nothing is written and it resolves undefined.
   */
  rotateKey(oldId: string, next: VirtualKeyRecord, oldExpiresAt: number): Promise<VirtualKeyRecord | undefined>

  balance(accountId: string, now?: number): Promise<AccountBalance>
  /** Append an entry; idempotent by (kind, requestId). */
  append(entry: LedgerEntryInput): Promise<AppendResult>
  /** Entries of an account in the order they were written. */
  entries(accountId: string): Promise<LedgerEntry[]>

  reserve(accountId: string, requestId: string, amountMicroUsd: number, options?: ReserveOptions): Promise<ReserveResult>
  /**
   * Replace the reservation of `requestId` (if any) by a usage debit of `actualMicroUsd`, in one
   * transaction. Idempotent: a second settle of the same request id returns the first entry.
   * Settling without a reservation (it expired or was released) still records the debit.
   */
  settle(accountId: string, requestId: string, actualMicroUsd: number, options?: SettleOptions): Promise<AppendResult>
  /** Drop the reservation of a request that will not be billed; resolves whether one existed. */
  release(accountId: string, requestId: string): Promise<boolean>
  /** Active reservations of an account. */
  reservations(accountId: string, now?: number): Promise<Reservation[]>
  /** Spend of a key, project or account (UTC periods of `now`). */
  spend(scope: SpendScope, now?: number): Promise<SpendTotals>

  /** Store usage events (metadata only); idempotent by `requestId`. Resolves how many were new. */
  recordUsage(events: readonly UsageEvent[]): Promise<number>
  usage(query: UsageQuery): Promise<UsageEvent[]>
  /**
   * Delete the usage events whose `timings.startedAt` is before `before` (epoch ms); resolves how
   * many were deleted. Ledger entries, balances and spend are never touched. Optional: the gateway
   * calls it for `billing.usageRetention`, and refuses that setting with a store that lacks it. A
   * store may delete in several short transactions, so that writers are not held up for long.
   */
  pruneUsage?(before: number): Promise<number>

  /** Closes connections. Safe to call more than once. */
  close?(): Promise<void>
}
