import type { StateStat, StateStoreV1 } from '../contracts/state-store.js'
import { StoreError } from './store-error.js'

const STORE = 'memory state'
const encoder = new TextEncoder()

/** Keys, lock names and owners are non-empty strings in every state store. */
export function checkStateName(store: string, what: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StoreError({ code: 'invalid-input', store, message: `${what} must be a non-empty string, found ${JSON.stringify(value)}` })
  }
}

export function checkStateValue(store: string, key: string, value: unknown): void {
  if (typeof value !== 'string') throw new StoreError({ code: 'invalid-input', store, message: `value of "${key}" must be a string (JSON text), found ${typeof value}` })
}

const checkName = (what: string, value: unknown) => checkStateName(STORE, what, value)

export function checkLockTtl(store: string, ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new StoreError({ code: 'invalid-input', store, message: `lock ttlMs must be a positive integer of milliseconds, found ${JSON.stringify(ttlMs)}` })
  }
}

/**
 * State in this process's memory: for tests and single-process development. Nothing survives
 * a restart and nothing is shared with other processes.
 */
export function memoryStateStore(): StateStoreV1 {
  const values = new Map<string, { value: string; stat: StateStat }>()
  const locks = new Map<string, { owner: string; expiresAt: number }>()

  const holder = (lock: string, now: number) => {
    const held = locks.get(lock)
    if (held && held.expiresAt <= now) {
      locks.delete(lock)
      return undefined
    }
    return held
  }

  return {
    specificationVersion: 'mesh.store.v1',
    roles: { state: 'mesh.state.v1' },
    descriptor: { package: '@modelmesh/core', factory: 'memoryStateStore', options: {} },
    async load(key) {
      checkName('key', key)
      return values.get(key)?.value
    },
    async save(key, value) {
      checkName('key', key)
      checkStateValue(STORE, key, value)
      values.set(key, { value, stat: { size: encoder.encode(value).byteLength, updatedAt: Date.now() } })
    },
    async list(prefix) {
      if (typeof prefix !== 'string') throw new StoreError({ code: 'invalid-input', store: STORE, message: `prefix must be a string ('' for all keys), found ${typeof prefix}` })
      return [...values.keys()].filter((key) => key.startsWith(prefix)).sort()
    },
    async delete(key) {
      checkName('key', key)
      return values.delete(key)
    },
    async stat(key) {
      checkName('key', key)
      return values.get(key)?.stat
    },
    async exists(key) {
      checkName('key', key)
      return values.has(key)
    },
    async acquireLock(lock, owner, ttlMs) {
      checkName('lock', lock)
      checkName('owner', owner)
      checkLockTtl(STORE, ttlMs)
      const now = Date.now()
      const held = holder(lock, now)
      if (held && held.owner !== owner) return false
      locks.set(lock, { owner, expiresAt: now + ttlMs })
      return true
    },
    async releaseLock(lock, owner) {
      checkName('lock', lock)
      checkName('owner', owner)
      if (holder(lock, Date.now())?.owner !== owner) return false
      return locks.delete(lock)
    },
    async isLocked(lock) {
      checkName('lock', lock)
      return holder(lock, Date.now()) !== undefined
    },
    async close() {},
  }
}
