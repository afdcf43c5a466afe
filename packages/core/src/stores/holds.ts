import type { Reservation } from '../contracts/ledger-store.js'

/**
 * `<first><separator><second>` strings, the same string object for the same pair every time (at
 * most `limit` pairs remembered; past it they are forgotten and built again). A Map computes a
 * string key's hash once per string object: a key built anew on every lookup is flattened and
 * hashed every time (~30 such lookups per billed request before 2026-12-02). For the composite keys
 * of the stores' hot paths: scope keys, spend keys.
 */
export class JoinedKeys {
  private readonly byFirst = new Map<string, Map<string, string>>()
  private size = 0

  constructor(
    private readonly separator: string,
    private readonly limit = 10_000,
  ) {}

  get(first: string, second: string): string {
    let ofFirst = this.byFirst.get(first)
    if (!ofFirst) this.byFirst.set(first, (ofFirst = new Map()))
    let key = ofFirst.get(second)
    if (key === undefined) {
      if (this.size >= this.limit) {
        this.clear()
        this.byFirst.set(first, (ofFirst = new Map()))
      }
      key = `${first}${this.separator}${second}`
      ofFirst.set(second, key)
      this.size++
    }
    return key
  }

  clear(): void {
    this.byFirst.clear()
    this.size = 0
  }
}

const scopeKeys = new JoinedKeys(':')

/** `account:<id>`, `project:<id>`, `key:<id>`: the key of a spend scope (`mesh_spend` rows, `Holds`); the same string for the same scope. */
export const scopeKey = (kind: string, id: string): string => scopeKeys.get(kind, id)

const scopeKeysOf = (hold: Reservation): string[] => {
  const keys = [scopeKey('account', hold.accountId)]
  if (hold.projectId !== undefined) keys.push(scopeKey('project', hold.projectId))
  if (hold.keyId !== undefined) keys.push(scopeKey('key', hold.keyId))
  return keys
}

interface ScopeHolds {
  readonly holds: Map<string, Reservation>
  /** Sum of every hold of the scope, expired or not. */
  total: number
  /** No hold of the scope expires before this: while `now` is below it, `total` is what is held. */
  minExpiresAt: number
}

/**
 * Reservation holds in memory, indexed by request and by scope, with each scope's total kept as
 * holds come and go: what a scope holds is O(1) until one of its holds expires (then one pass).
 * For stores that keep holds in memory (the memory ledger, SQLite's `holds: 'process'` and its
 * cache of `mesh_reservations`).
 */
export class Holds {
  readonly byRequest = new Map<string, Reservation>()
  private readonly byScope = new Map<string, ScopeHolds>()

  add(hold: Reservation): void {
    this.byRequest.set(hold.requestId, hold)
    for (const key of scopeKeysOf(hold)) {
      let scope = this.byScope.get(key)
      if (!scope) this.byScope.set(key, (scope = { holds: new Map(), total: 0, minExpiresAt: Infinity }))
      scope.holds.set(hold.requestId, hold)
      scope.total += hold.amountMicroUsd
      if (hold.expiresAt < scope.minExpiresAt) scope.minExpiresAt = hold.expiresAt
    }
  }

  remove(hold: Reservation): void {
    this.byRequest.delete(hold.requestId)
    for (const key of scopeKeysOf(hold)) {
      const scope = this.byScope.get(key)
      if (!scope?.holds.delete(hold.requestId)) continue
      if (scope.holds.size === 0) this.byScope.delete(key)
      else scope.total -= hold.amountMicroUsd
    }
  }

  /** Sum of the active holds of a scope at `now` (what `SUM(amount) ... WHERE expires_at > now` returns). */
  heldIn(key: string, now: number): number {
    const scope = this.byScope.get(key)
    if (!scope) return 0
    if (now < scope.minExpiresAt) return scope.total
    let held = 0
    let minExpiresAt = Infinity
    for (const hold of scope.holds.values()) {
      if (hold.expiresAt > now) held += hold.amountMicroUsd
      if (hold.expiresAt < minExpiresAt) minExpiresAt = hold.expiresAt
    }
    scope.minExpiresAt = minExpiresAt
    return held
  }

  /** Active holds of a scope at `now`, oldest first (as `reservations()` lists them). */
  activeIn(key: string, now: number): Reservation[] {
    const scope = this.byScope.get(key)
    if (!scope) return []
    return [...scope.holds.values()]
      .filter((hold) => hold.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0))
  }

  /** Holds of a scope that have expired at `now`. */
  expiredIn(key: string, now: number): Reservation[] {
    const scope = this.byScope.get(key)
    if (!scope || now < scope.minExpiresAt) return []
    return [...scope.holds.values()].filter((hold) => hold.expiresAt <= now)
  }
}
