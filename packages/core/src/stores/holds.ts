import type { Reservation } from '../contracts/ledger-store.js'
import { ChurnMap } from './churn-map.js'

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
    // (V8 gives a map a new table on `clear`, even an empty one.)
    if (this.byFirst.size > 0) this.byFirst.clear()
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
  /** The scope's holds by request id, and the keeper (below). */
  readonly holds: ChurnMap<string, Reservation>
  /** Sum of every hold of the scope, expired or not. */
  total: number
  /** No hold of the scope expires before this: while `now` is below it, `total` is what is held. */
  minExpiresAt: number
}

/**
 * The key of the entry that keeps every map of `Holds` from emptying. V8 gives a `Map` a new table
 * each time `delete` empties it, and a gateway serving one request at a time emptied these maps on
 * every request (the request map and each scope's map, and a scope's entry was dropped and made
 * again): tables held by long-lived maps, the largest share of what outlived the young generation
 * and grew the old one (bench/README, fourth session of 2026-12-03). Since the maps are `ChurnMap`s
 * their tables are young and that growth is gone whatever empties them; the keeper still spares a
 * new table per lone request, and a scope whose map holds only it has no holds. No request id holds
 * a NUL.
 */
export const KEEPER_ID = '\u0000holds-keeper'
/** Holds nothing and never expires: sums and expiries are as if it were not there; never listed. */
const KEEPER: Reservation = Object.freeze({ requestId: KEEPER_ID, accountId: '', amountMicroUsd: 0, createdAt: 0, expiresAt: Infinity })

/**
 * Scopes without holds are kept (their next hold reuses them) until there are this many scopes;
 * then the empty ones are dropped, and the next pruning waits until the count has doubled (so many
 * scopes with live holds never make every new scope pay a pass over all of them).
 */
const SCOPES_BEFORE_PRUNING = 4096

const newScope = (): ScopeHolds => ({ holds: new ChurnMap<string, Reservation>().set(KEEPER_ID, KEEPER), total: 0, minExpiresAt: Infinity })

/**
 * Reservation holds in memory, indexed by request and by scope, with each scope's total kept as
 * holds come and go: what a scope holds is O(1) until one of its holds expires (then one pass).
 * For stores that keep holds in memory (the memory ledger, SQLite's `holds: 'process'` and its
 * cache of `mesh_reservations`).
 */
export class Holds {
  /**
   * Holds by request id (plus one entry under `KEEPER_ID`, which no request id equals). Read-only:
   * `add` and `remove` change it. (A `ChurnMap`, as is each scope's map: one set and one delete per
   * request in a long-lived map.)
   */
  get byRequest(): ReadonlyMap<string, Reservation> {
    return this.requests
  }
  private readonly requests = new ChurnMap<string, Reservation>().set(KEEPER_ID, KEEPER)
  private readonly byScope = new Map<string, ScopeHolds>()
  private pruneAt = SCOPES_BEFORE_PRUNING

  add(hold: Reservation): void {
    if (hold.requestId === KEEPER_ID) throw new Error('a hold cannot use the reserved request id of Holds')
    this.requests.set(hold.requestId, hold)
    for (const key of scopeKeysOf(hold)) {
      let scope = this.byScope.get(key)
      if (!scope) {
        if (this.byScope.size >= this.pruneAt) this.pruneEmptyScopes()
        this.byScope.set(key, (scope = newScope()))
      }
      scope.holds.set(hold.requestId, hold)
      scope.total += hold.amountMicroUsd
      if (hold.expiresAt < scope.minExpiresAt) scope.minExpiresAt = hold.expiresAt
    }
  }

  remove(hold: Reservation): void {
    if (hold.requestId === KEEPER_ID) return
    this.requests.delete(hold.requestId)
    for (const key of scopeKeysOf(hold)) {
      const scope = this.byScope.get(key)
      if (!scope?.holds.delete(hold.requestId)) continue
      if (scope.holds.size > 1) scope.total -= hold.amountMicroUsd
      else {
        // Only the keeper is left: nothing is held (exactly, whatever the subtractions left).
        scope.total = 0
        scope.minExpiresAt = Infinity
      }
    }
  }

  /** How many scopes are kept, with or without holds (for tests). */
  get scopeCount(): number {
    return this.byScope.size
  }

  private pruneEmptyScopes(): void {
    for (const [key, scope] of this.byScope) if (scope.holds.size === 1) this.byScope.delete(key)
    this.pruneAt = Math.max(SCOPES_BEFORE_PRUNING, 2 * this.byScope.size)
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
      .filter((hold) => hold.expiresAt > now && hold !== KEEPER)
      .sort((a, b) => a.createdAt - b.createdAt || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0))
  }

  /** Holds of a scope that have expired at `now`. */
  expiredIn(key: string, now: number): Reservation[] {
    const scope = this.byScope.get(key)
    if (!scope || now < scope.minExpiresAt) return []
    return [...scope.holds.values()].filter((hold) => hold.expiresAt <= now)
  }
}
