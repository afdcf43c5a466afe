import { randomUUID } from 'node:crypto'
import { counterStoreChecks, ledgerStoreChecks, stateStoreChecks, type StoreCheck } from '@modelmesh/testkit'
import { describe, expect, it } from 'vitest'
import { memoryCounterStore, memoryLedgerStore, memoryStateStore, type CounterStoreV1, type LedgerStoreV1, type StateStoreV1 } from '../../src/index.js'

// The conformance suites must fail on stores with the classic bugs, or they prove nothing.

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

function check<S>(checks: readonly StoreCheck<S, string>[], prefix: string): StoreCheck<S, string> {
  const found = checks.find((c) => c.name.startsWith(prefix))
  if (!found) throw new Error(`no check named "${prefix}…"`)
  return found
}

const run = <S>(c: StoreCheck<S, string>, store: S) => c.run({ store, peer: store, unique: (label) => `${label}-${randomUUID()}` })

describe('the store conformance suites fail on broken stores', () => {
  it('a reserve that checks the balance and then holds, with an await in between, over-reserves', async () => {
    const inner = memoryLedgerStore()
    const racy: LedgerStoreV1 = {
      ...inner,
      async reserve(accountId, requestId, amount, options) {
        const { availableMicroUsd } = await inner.balance(accountId)
        await tick()
        if (availableMicroUsd < amount) return { ok: false, reason: 'insufficient-credits', availableMicroUsd }
        return inner.reserve(accountId, requestId, amount, { ...options, checkBalance: false })
      },
    }
    await expect(run(check(ledgerStoreChecks, '200 concurrent reservations against'), racy)).rejects.toThrow(/exactly the number/)
    await expect(run(check(ledgerStoreChecks, '200 concurrent reservations against'), inner)).resolves.toBeUndefined()
  })

  it('a settle that is not idempotent by request id bills twice', async () => {
    const inner = memoryLedgerStore()
    const twice: LedgerStoreV1 = {
      ...inner,
      async settle(accountId, _requestId, actual, options) {
        return inner.append({ accountId, kind: 'usage', amountMicroUsd: -actual, keyId: options?.keyId })
      },
    }
    await expect(run(check(ledgerStoreChecks, '20 concurrent settlements'), twice)).rejects.toThrow()
    await expect(run(check(ledgerStoreChecks, 'settle replaces'), twice)).rejects.toThrow()
  })

  it('a reserve that forgets the caps lets a key overspend', async () => {
    const inner = memoryLedgerStore()
    const capless: LedgerStoreV1 = { ...inner, reserve: (a, r, amount, options) => inner.reserve(a, r, amount, { ...options, caps: [] }) }
    await expect(run(check(ledgerStoreChecks, 'reserve enforces key, project and account caps'), capless)).rejects.toThrow()
  })

  it('a prune that stops after its first batch, or that deletes the events at the cutoff too, fails', async () => {
    const name = 'pruneUsage deletes the usage events'
    const inner = memoryLedgerStore()
    // One batch of 500 and no loop: what is left of a large backlog stays.
    const oneBatch: LedgerStoreV1 = {
      ...inner,
      async pruneUsage(before) {
        const old = (await inner.usage({ until: before, limit: 1_000_000 })).slice(-500)
        const cutoff = Math.max(...old.map((event) => event.timings.startedAt)) + 1
        return old.length === 0 ? 0 : inner.pruneUsage!(cutoff)
      },
    }
    await expect(run(check(ledgerStoreChecks, name), oneBatch)).rejects.toThrow()
    const inclusive: LedgerStoreV1 = { ...inner, pruneUsage: (before) => inner.pruneUsage!(before + 1) }
    await expect(run(check(ledgerStoreChecks, name), inclusive)).rejects.toThrow()
    await expect(run(check(ledgerStoreChecks, name), inner)).resolves.toBeUndefined()
  })

  it('locks that never expire fail the TTL check; a lock released by anyone fails the owner check', async () => {
    const inner = memoryStateStore()
    const forever: StateStoreV1 = { ...inner, acquireLock: (lock, owner) => inner.acquireLock(lock, owner, 1e9) }
    await expect(run(check(stateStoreChecks, 'locks expire'), forever)).rejects.toThrow()
    const anyone: StateStoreV1 = { ...inner, releaseLock: async (lock) => inner.releaseLock(lock, 'a').then(async (done) => done || inner.releaseLock(lock, 'b')) }
    await expect(run(check(stateStoreChecks, 'locks: a held lock'), anyone)).rejects.toThrow()
  })

  it('a list that treats _ as a wildcard (SQL LIKE without escaping) fails', async () => {
    const inner = memoryStateStore()
    const like: StateStoreV1 = {
      ...inner,
      async list(prefix) {
        const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/_/g, '.').replace(/%/g, '.*')}`)
        return (await inner.list('')).filter((key) => pattern.test(key))
      },
    }
    await expect(run(check(stateStoreChecks, 'lists keys by prefix'), like)).rejects.toThrow(/wildcard/)
  })

  it('a read-modify-write increment loses concurrent updates', async () => {
    const inner = memoryCounterStore()
    const totals = new Map<string, number>()
    const lossy: CounterStoreV1 = {
      ...inner,
      async increment(key, amount) {
        const current = totals.get(key) ?? 0
        await tick()
        totals.set(key, current + amount)
        return current + amount
      },
      get: async (key) => totals.get(key) ?? 0,
    }
    await expect(run(check(counterStoreChecks, '200 concurrent increments'), lossy)).rejects.toThrow()
  })

  it('state that never expires fails the TTL check', async () => {
    const inner = memoryCounterStore()
    const sticky: CounterStoreV1 = { ...inner, setState: (key, value) => inner.setState(key, value, 1e9) }
    await expect(run(check(counterStoreChecks, 'shared state'), sticky)).rejects.toThrow(/expired/)
  })
})
