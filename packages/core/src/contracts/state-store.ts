import type { PluginDescriptor } from './plugin-descriptor.js'

/** Metadata of a stored state entry. */
export interface StateStat {
  /** Size of the value in bytes (UTF-8). */
  readonly size: number
  /** Epoch milliseconds of the last `save`. */
  readonly updatedAt: number
}

/**
 * Key/value state with advisory locks: routing state snapshots, persisted responses.
 *
 * Every store connector carries `specificationVersion: 'mesh.store.v1'` and declares the roles it
 * plays in `roles`, each with the version of that role's contract. One object can play several
 * roles (SQLite and Postgres are state + ledger), which a single `specificationVersion` literal
 * per role could not express.
 *
 * Values are text (usually JSON); keys are `/`-separated paths. Locks are advisory and expire
 * after their TTL, so a crashed holder cannot block others forever. Times are the caller's clock
 * (epoch milliseconds). Lock methods say `Lock` in their names because a ledger's `release`
 * (of a reservation) lives on the same object when one store plays both roles.
 */
export interface StateStoreV1 {
  readonly specificationVersion: 'mesh.store.v1'
  readonly roles: { readonly state: 'mesh.state.v1' }
  /** How to recreate this store from JSON (for the IR and the compile step). */
  readonly descriptor: PluginDescriptor
  load(key: string): Promise<string | undefined>
  /** Create or replace. */
  save(key: string, value: string): Promise<void>
  /** Keys that start with `prefix` (`''` for all), sorted ascending. */
  list(prefix: string): Promise<string[]>
  /** Resolves whether something was deleted. */
  delete(key: string): Promise<boolean>
  stat(key: string): Promise<StateStat | undefined>
  exists(key: string): Promise<boolean>
  /**
   * Take the advisory lock `lock` for `ttlMs`. Resolves false when another owner holds it and
   * its TTL has not run out. Acquiring a lock one already holds succeeds and restarts the TTL.
   */
  acquireLock(lock: string, owner: string, ttlMs: number): Promise<boolean>
  /** Release a lock held by `owner`; resolves false (and changes nothing) for any other owner. */
  releaseLock(lock: string, owner: string): Promise<boolean>
  /** Whether someone holds `lock` now (an expired lock is not held). */
  isLocked(lock: string): Promise<boolean>
  /** Closes connections. Safe to call more than once. */
  close?(): Promise<void>
}
