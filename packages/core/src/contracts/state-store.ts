/** Metadata of a stored state entry. */
export interface StateStat {
  readonly size: number
  readonly updatedAt: number
}

/**
 * Key/value state with advisory locks: routing state snapshots, persisted responses.
 * Values are opaque bytes or JSON text; keys are `/`-separated paths.
 */
export interface StateStoreV1 {
  readonly specificationVersion: 'mesh.state.v1'
  load(key: string): Promise<string | undefined>
  save(key: string, value: string): Promise<void>
  list(prefix: string): Promise<string[]>
  delete(key: string): Promise<boolean>
  stat(key: string): Promise<StateStat | undefined>
  exists(key: string): Promise<boolean>
  /** Take an advisory lock for `ttlMs`; resolves false when someone else holds it. */
  acquire(lock: string, owner: string, ttlMs: number): Promise<boolean>
  release(lock: string, owner: string): Promise<void>
  isLocked(lock: string): Promise<boolean>
  close?(): Promise<void>
}
