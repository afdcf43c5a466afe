import type {
  AccountRecord,
  LedgerEntry,
  LedgerStoreV1,
  ProjectRecord,
  SpendScope,
  VirtualKeyRecord,
} from '../contracts/ledger-store.js'
import type { UsageEvent } from '../contracts/usage-event.js'
import {
  bucketOf,
  checkAccountRecord,
  checkKeyRecord,
  checkProjectRecord,
  checkSettleAmount,
  compact,
  newLedgerEntry,
  newReservation,
  periodBuckets,
  pruneUsageInBatches,
  reserveInput,
  reserveRefusal,
  sameAccount,
  spendScopesOf,
} from './ledger-rules.js'
import { Holds, JoinedKeys, scopeKey } from './holds.js'
import { StoreError } from './store-error.js'

const STORE = 'memory ledger'

function frozen<T>(value: T): T {
  const copy = structuredClone(value)
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return
    Object.freeze(v)
    for (const child of Object.values(v)) freeze(child)
  }
  freeze(copy)
  return copy
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export function inScope(owner: { accountId: string; projectId?: string; keyId?: string }, scope: SpendScope): boolean {
  if (scope.kind === 'account') return owner.accountId === scope.id
  return (scope.kind === 'project' ? owner.projectId : owner.keyId) === scope.id
}

/** A usage event as the memory ledger keeps it: the fields `usage()` filters on, and the event as JSON. */
interface StoredUsage {
  readonly accountId: string | undefined
  readonly projectId: string | undefined
  readonly keyId: string | undefined
  readonly startedAt: number
  readonly json: string
}

/**
 * The ledger in this process's memory: for tests and `auth: none` development. Same semantics
 * as the durable stores (it runs the same conformance suite); nothing survives a restart.
 * Every operation runs without awaiting in between, so JavaScript's single thread makes each
 * one atomic.
 */
export interface MemoryLedgerOptions {
  /** Usage events kept (the oldest are dropped past it), so a long-running dev gateway stays bounded. Default 10,000. */
  readonly maxUsageEvents?: number
}

export function memoryLedgerStore(options: MemoryLedgerOptions = {}): LedgerStoreV1 {
  const maxUsageEvents = options.maxUsageEvents ?? 10_000
  const accounts = new Map<string, AccountRecord>()
  const balances = new Map<string, number>()
  const projects = new Map<string, ProjectRecord>()
  const keys = new Map<string, VirtualKeyRecord>()
  const keyIdByHash = new Map<string, string>()
  const entriesByAccount = new Map<string, LedgerEntry[]>()
  const entryByRequest = new Map<string, LedgerEntry>()
  const holds = new Holds()
  const spent = new Map<string, number>()
  // Usage events kept as JSON text with the fields `usage()` filters on: one string per event rather
  // than a frozen copy of its object graph (cheaper to store, nothing for the garbage collector to
  // trace), and every read hands out fresh objects.
  const usageEvents = new Map<string, StoredUsage>()

  const requireAccount = (accountId: string) => {
    if (!accounts.has(accountId)) {
      throw new StoreError({ code: 'not-found', store: STORE, message: `account "${accountId}" does not exist; create it with putAccount() first` })
    }
  }
  const requestKey = (kind: string, requestId: string) => `${kind}\n${requestId}`
  const spendKeys = new JoinedKeys('\n')
  const spentKey = (scope: SpendScope, bucket: string) => spendKeys.get(scopeKey(scope.kind, scope.id), bucket)
  /** Σ active holds of a scope: the index keeps each scope's total (it scanned every hold of every account). */
  const activeHolds = (now: number, scope: SpendScope) => holds.heldIn(scopeKey(scope.kind, scope.id), now)
  /** A hold leaves the store (settled, released, or expired and swept). */
  const dropHold = (requestId: string) => {
    const hold = holds.byRequest.get(requestId)
    if (hold) holds.remove(hold)
  }

  const balanceOf = (accountId: string) => balances.get(accountId) ?? 0

  const putKeyRecord = (key: VirtualKeyRecord) => {
    const owner = keyIdByHash.get(key.hash)
    if (owner !== undefined && owner !== key.id) {
      throw new StoreError({ code: 'conflict', store: STORE, message: `key "${key.id}": its hash already belongs to key "${owner}"; generate a new key` })
    }
    const previous = keys.get(key.id)
    if (previous && previous.hash !== key.hash) keyIdByHash.delete(previous.hash)
    keys.set(key.id, frozen(compact(key)))
    keyIdByHash.set(key.hash, key.id)
  }

  const write = (entry: LedgerEntry): { entry: LedgerEntry; created: boolean } => {
    if (entry.requestId !== undefined) {
      const existing = entryByRequest.get(requestKey(entry.kind, entry.requestId))
      if (existing) return { entry: sameAccount(STORE, existing, entry.accountId), created: false }
    }
    requireAccount(entry.accountId)
    // An entry's fields are all primitives (newLedgerEntry made it): a frozen shallow copy is a deep one.
    const stored = Object.freeze({ ...entry })
    // Appended in place (entries() hands out copies): copying the list per write made a busy
    // account's n-th settle cost O(n), and a dev gateway under load slowed down as it ran.
    const list = entriesByAccount.get(entry.accountId)
    if (list) list.push(stored)
    else entriesByAccount.set(entry.accountId, [stored])
    if (entry.requestId !== undefined) entryByRequest.set(requestKey(entry.kind, entry.requestId), stored)
    balances.set(entry.accountId, balanceOf(entry.accountId) + entry.amountMicroUsd)
    if (entry.kind === 'usage') {
      if (entry.requestId !== undefined) dropHold(entry.requestId)
      const buckets = periodBuckets(entry.createdAt)
      for (const scope of spendScopesOf(entry)) {
        for (const bucket of [buckets.day, buckets.month, buckets.total]) {
          spent.set(spentKey(scope, bucket), (spent.get(spentKey(scope, bucket)) ?? 0) - entry.amountMicroUsd)
        }
      }
    }
    return { entry: stored, created: true }
  }

  return {
    specificationVersion: 'mesh.store.v1',
    roles: { ledger: 'mesh.ledger.v1' },
    descriptor: { package: '@modelmesh/core', factory: 'memoryLedgerStore', options },

    async putAccount(account) {
      checkAccountRecord(STORE, account)
      accounts.set(account.id, frozen(compact(account)))
    },
    async getAccount(id) {
      return accounts.get(id)
    },
    async listAccounts() {
      return [...accounts.values()].sort(byId)
    },
    async putProject(project) {
      checkProjectRecord(STORE, project)
      projects.set(project.id, frozen(compact(project)))
    },
    async getProject(id) {
      return projects.get(id)
    },
    async listProjects(accountId) {
      return [...projects.values()].filter((p) => accountId === undefined || p.accountId === accountId).sort(byId)
    },

    async putKey(key) {
      checkKeyRecord(STORE, key)
      putKeyRecord(key)
    },
    async getKey(id) {
      return keys.get(id)
    },
    async findKeyByHash(hash) {
      const id = keyIdByHash.get(hash)
      return id === undefined ? undefined : keys.get(id)
    },
    async listKeys(filter = {}) {
      return [...keys.values()]
        .filter((k) => (filter.accountId === undefined || k.accountId === filter.accountId) && (filter.projectId === undefined || k.projectId === filter.projectId))
        .sort(byId)
    },
    async revokeKey(id, at) {
      const key = keys.get(id)
      if (!key || key.revokedAt !== undefined) return key
      putKeyRecord({ ...key, revokedAt: at })
      return keys.get(id)
    },
    async rotateKey(oldId, next, oldExpiresAt) {
      checkKeyRecord(STORE, next)
      const old = keys.get(oldId)
      if (!old) return undefined
      const expiresAt = Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, oldExpiresAt)
      checkKeyRecord(STORE, { ...old, expiresAt })
      putKeyRecord(next)
      putKeyRecord({ ...old, expiresAt, replacedBy: next.id })
      return keys.get(oldId)
    },

    async balance(accountId, now = Date.now()) {
      const balanceMicroUsd = balanceOf(accountId)
      const reservedMicroUsd = activeHolds(now, { kind: 'account', id: accountId })
      return { balanceMicroUsd, reservedMicroUsd, availableMicroUsd: balanceMicroUsd - reservedMicroUsd }
    },
    async append(input) {
      return write(newLedgerEntry(STORE, input))
    },
    async entries(accountId) {
      return [...(entriesByAccount.get(accountId) ?? [])]
    },

    async reserve(accountId, requestId, amount, options) {
      const input = reserveInput(STORE, accountId, requestId, amount, options)
      requireAccount(accountId)
      const held = holds.byRequest.get(requestId)
      if (held && held.expiresAt > input.now) {
        if (held.accountId !== accountId) throw new StoreError({ code: 'conflict', store: STORE, message: `request "${requestId}" holds a reservation on account "${held.accountId}", not "${accountId}"` })
        return { ok: true, reservation: held, created: false }
      }
      const settled = entryByRequest.get(requestKey('usage', requestId))
      if (settled) return { ok: false, reason: 'already-settled', entry: settled }
      // Expired holds (this request's, and the account's) go; they no longer count anyway.
      if (held) holds.remove(held)
      for (const expired of holds.expiredIn(scopeKey('account', accountId), input.now)) holds.remove(expired)
      const available = balanceOf(accountId) - activeHolds(input.now, { kind: 'account', id: accountId })
      const spentPerCap = input.caps.map(({ cap, scopeId }) => {
        const scope = { kind: cap.scope, id: scopeId }
        return (spent.get(spentKey(scope, bucketOf(cap.period, input.now))) ?? 0) + activeHolds(input.now, scope)
      })
      const refusal = reserveRefusal(amount, input, available, spentPerCap)
      if (refusal) return refusal
      const reservation = newReservation({ requestId, accountId, amountMicroUsd: amount, keyId: input.keyId, projectId: input.projectId, createdAt: input.now, expiresAt: input.expiresAt })
      holds.add(reservation)
      return { ok: true, reservation, created: true }
    },
    async settle(accountId, requestId, actual, options = {}) {
      checkSettleAmount(STORE, accountId, requestId, actual)
      const hold = holds.byRequest.get(requestId)
      if (hold && hold.accountId !== accountId) throw new StoreError({ code: 'conflict', store: STORE, message: `request "${requestId}" holds a reservation on account "${hold.accountId}", not "${accountId}"` })
      const owner = hold ?? options
      return write(
        newLedgerEntry(STORE, { accountId, kind: 'usage', amountMicroUsd: -actual, requestId, keyId: owner.keyId, projectId: owner.projectId, note: options.note, createdAt: options.now }),
      )
    },
    async release(accountId, requestId) {
      const hold = holds.byRequest.get(requestId)
      if (!hold || hold.accountId !== accountId) return false
      holds.remove(hold)
      return hold.expiresAt > Date.now()
    },
    async reservations(accountId, now = Date.now()) {
      return holds.activeIn(scopeKey('account', accountId), now)
    },
    async spend(scope, now = Date.now()) {
      const buckets = periodBuckets(now)
      const read = (bucket: string) => spent.get(spentKey(scope, bucket)) ?? 0
      return { dayMicroUsd: read(buckets.day), monthMicroUsd: read(buckets.month), totalMicroUsd: read(buckets.total), reservedMicroUsd: activeHolds(now, scope) }
    },

    async recordUsage(events) {
      let written = 0
      for (const event of events) {
        if (typeof event?.requestId !== 'string' || event.requestId === '') throw new StoreError({ code: 'invalid-input', store: STORE, message: 'every usage event needs a requestId' })
        if (usageEvents.has(event.requestId)) continue
        usageEvents.set(event.requestId, { accountId: event.accountId, projectId: event.projectId, keyId: event.keyId, startedAt: event.timings?.startedAt, json: JSON.stringify(event) })
        // Maps iterate in insertion order: the first key is the oldest event.
        if (usageEvents.size > maxUsageEvents) usageEvents.delete(usageEvents.keys().next().value!)
        written++
      }
      return written
    },
    async pruneUsage(before) {
      // One pass over every event, not the first keys only: events are kept in the order they were
      // recorded, which is not quite the order requests started (a long stream is recorded after
      // shorter requests that began later).
      return pruneUsageInBatches(STORE, before, Number.POSITIVE_INFINITY, async (cutoff) => {
        let deleted = 0
        for (const [requestId, event] of usageEvents) {
          if (event.startedAt < cutoff) {
            usageEvents.delete(requestId)
            deleted++
          }
        }
        return deleted
      })
    },
    async usage(query) {
      return [...usageEvents.values()]
        .filter((e) => (query.accountId === undefined || e.accountId === query.accountId) && (query.projectId === undefined || e.projectId === query.projectId))
        .filter((e) => (query.keyId === undefined || e.keyId === query.keyId) && (query.since === undefined || e.startedAt >= query.since))
        .filter((e) => query.until === undefined || e.startedAt < query.until)
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, query.limit ?? 1000)
        .map((e) => JSON.parse(e.json) as UsageEvent)
    },
    async close() {},
  }
}
