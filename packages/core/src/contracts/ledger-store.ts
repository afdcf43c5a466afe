import type { UsageEvent } from './usage-event.js'

export type LedgerEntryKind = 'grant' | 'purchase' | 'usage' | 'refund' | 'reservation' | 'release'

/** An immutable ledger line. Amounts are integers in micro-USD. */
export interface LedgerEntry {
  readonly id: string
  readonly accountId: string
  readonly kind: LedgerEntryKind
  readonly amountMicroUsd: number
  readonly requestId?: string
  readonly createdAt: number
  readonly note?: string
}

export interface VirtualKeyRecord {
  readonly id: string
  /** SHA-256 hex of the plaintext key; the plaintext is never stored. */
  readonly hash: string
  readonly prefix: string
  readonly accountId: string
  readonly projectId?: string
  readonly name?: string
  readonly scopes: readonly string[]
  readonly models?: readonly string[]
  readonly rpm?: number
  readonly tpm?: number
  readonly spendCapMicroUsd?: { daily?: number; monthly?: number; total?: number }
  readonly expiresAt?: number
  readonly revokedAt?: number
  readonly createdAt: number
}

/**
 * Accounts, keys, balances, immutable ledger entries and usage events. Transactional, and
 * idempotent by request id: recording the same request twice changes nothing the second time.
 */
export interface LedgerStoreV1 {
  readonly specificationVersion: 'mesh.ledger.v1'
  findKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined>
  putKey(key: VirtualKeyRecord): Promise<void>
  revokeKey(id: string, at: number): Promise<void>
  listKeys(accountId?: string): Promise<VirtualKeyRecord[]>
  balance(accountId: string): Promise<number>
  /** Append an entry; an entry whose (kind, requestId) exists already is ignored. Returns whether it was written. */
  append(entry: LedgerEntry): Promise<boolean>
  entries(accountId: string): Promise<LedgerEntry[]>
  /** Atomically reserve `amount` when the balance covers it; false otherwise. */
  reserve(accountId: string, requestId: string, amountMicroUsd: number): Promise<boolean>
  /** Replace a reservation by the real debit (idempotent by request id). */
  settle(accountId: string, requestId: string, actualMicroUsd: number): Promise<void>
  recordUsage(events: readonly UsageEvent[]): Promise<void>
  close?(): Promise<void>
}
