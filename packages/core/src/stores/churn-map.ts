/**
 * At least this many `set`s (or `add`s) between two renewals of a churned map; more for a large map
 * (four times its size), so that copying it costs at most a quarter of an entry per `set`.
 */
const RENEW_AFTER = 64

/** The rule of both classes: renew after `writes` sets (adds) into a map (set) of `size` entries. */
const renewalDue = (writes: number, size: number): boolean => writes >= RENEW_AFTER && writes >= 4 * size

/**
 * A `Map` for a long-lived structure whose keys come and go all the time (one `set` and one `delete`
 * per request: holds by request id, debits waiting for their commit). V8 gives a `Map` a new table
 * when deletions have used up the old one, and allocates it in the old generation when the old table
 * is there: a long-lived map churned once per request made 40-86 bytes of old space per set/delete
 * pair, whatever its size, and old space that grows brings mark-compacts (bench/README, seventh
 * session of 2026-12-03). Every `RENEW_AFTER` sets (or four times the size, if more) this map copies
 * what it holds into a new `Map`: the new table is young, and is replaced before it would live long
 * enough to be promoted, so the tables churned in between are young garbage. `clear` starts a new
 * map for the same reason.
 *
 * Iteration is over the current map: do not `set` while iterating (a renewal would not be seen).
 */
export class ChurnMap<K, V> implements ReadonlyMap<K, V> {
  private map = new Map<K, V>()
  private sets = 0

  get size(): number {
    return this.map.size
  }

  get(key: K): V | undefined {
    return this.map.get(key)
  }

  has(key: K): boolean {
    return this.map.has(key)
  }

  set(key: K, value: V): this {
    if (renewalDue(++this.sets, this.map.size)) {
      this.map = new Map(this.map)
      this.sets = 0
    }
    this.map.set(key, value)
    return this
  }

  delete(key: K): boolean {
    return this.map.delete(key)
  }

  clear(): void {
    if (this.map.size === 0) return
    this.map = new Map()
    this.sets = 0
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.map) callback.call(thisArg, value, key, this)
  }

  keys(): IterableIterator<K> {
    return this.map.keys()
  }

  values(): IterableIterator<V> {
    return this.map.values()
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries()
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries()
  }
}

/** `ChurnMap`'s `Set`: for members that come and go once per request in a long-lived set. */
export class ChurnSet<T> implements ReadonlySet<T> {
  private set = new Set<T>()
  private adds = 0

  get size(): number {
    return this.set.size
  }

  has(value: T): boolean {
    return this.set.has(value)
  }

  add(value: T): this {
    if (renewalDue(++this.adds, this.set.size)) {
      this.set = new Set(this.set)
      this.adds = 0
    }
    this.set.add(value)
    return this
  }

  delete(value: T): boolean {
    return this.set.delete(value)
  }

  clear(): void {
    if (this.set.size === 0) return
    this.set = new Set()
    this.adds = 0
  }

  forEach(callback: (value: T, value2: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    for (const value of this.set) callback.call(thisArg, value, value, this)
  }

  keys(): IterableIterator<T> {
    return this.set.keys()
  }

  values(): IterableIterator<T> {
    return this.set.values()
  }

  entries(): IterableIterator<[T, T]> {
    return this.set.entries()
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.set.values()
  }
}
