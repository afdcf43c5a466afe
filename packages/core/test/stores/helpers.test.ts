import { describe, expect, it } from 'vitest'
import {
  isCounterStore,
  isLedgerStore,
  isStateStore,
  memoryCounterStore,
  memoryLedgerStore,
  memoryStateStore,
  periodBuckets,
  slidingWindowTotal,
  spendCapsOf,
  windowStart,
} from '../../src/index.js'

describe('store helpers', () => {
  it('recognises roles by specificationVersion + roles, and a multi-role object as each', () => {
    expect(isStateStore(memoryStateStore())).toBe(true)
    expect(isLedgerStore(memoryStateStore())).toBe(false)
    expect(isLedgerStore(memoryLedgerStore())).toBe(true)
    expect(isCounterStore(memoryCounterStore())).toBe(true)
    const both = { ...memoryStateStore(), ...memoryLedgerStore(), roles: { state: 'mesh.state.v1', ledger: 'mesh.ledger.v1' } }
    expect(isStateStore(both) && isLedgerStore(both)).toBe(true)
    expect(isStateStore({ specificationVersion: 'mesh.state.v1' })).toBe(false)
  })

  it('aligns windows to the epoch and estimates a sliding window from two fixed ones', async () => {
    expect(windowStart(125_999, 60_000)).toBe(120_000)
    const store = memoryCounterStore()
    const start = windowStart(Date.now(), 60_000)
    await store.increment('k', 100, 60_000, start - 1)
    await store.increment('k', 10, 60_000, start + 15_000)
    expect(await slidingWindowTotal(store, 'k', 60_000, start + 15_000)).toBe(10 + 75)
  })

  it('buckets spend by UTC day and month', () => {
    expect(periodBuckets(Date.UTC(2030, 0, 31, 23, 59, 59))).toEqual({ day: 'd:2030-01-31', month: 'm:2030-01', total: 'total' })
    expect(periodBuckets(Date.UTC(2030, 1, 1))).toEqual({ day: 'd:2030-02-01', month: 'm:2030-02', total: 'total' })
  })

  it('gives the same frozen buckets within a UTC day and new ones at its edges (the last day is cached)', () => {
    const morning = periodBuckets(Date.UTC(2031, 11, 31, 0, 0, 0))
    expect(periodBuckets(Date.UTC(2031, 11, 31, 23, 59, 59, 999))).toBe(morning)
    expect(Object.isFrozen(morning)).toBe(true)
    expect(periodBuckets(Date.UTC(2032, 0, 1))).toEqual({ day: 'd:2032-01-01', month: 'm:2032-01', total: 'total' })
    expect(periodBuckets(Date.UTC(2031, 11, 30, 23, 59, 59, 999))).toEqual({ day: 'd:2031-12-30', month: 'm:2031-12', total: 'total' })
    expect(periodBuckets(Date.UTC(1969, 11, 31, 12))).toEqual({ day: 'd:1969-12-31', month: 'm:1969-12', total: 'total' })
    expect(periodBuckets(Date.UTC(1970, 0, 1))).toEqual({ day: 'd:1970-01-01', month: 'm:1970-01', total: 'total' })
  })

  it('collects the caps of a key, its project and its account in the form reserve takes', () => {
    const caps = spendCapsOf({
      key: { id: 'k', hash: '0'.repeat(64), prefix: '', accountId: 'a', scopes: [], createdAt: 0, spendCapMicroUsd: { daily: 5 } },
      project: { id: 'p', accountId: 'a', createdAt: 0, spendCapMicroUsd: { monthly: 50, total: 500 } },
      account: { id: 'a', createdAt: 0 },
    })
    expect(caps).toEqual([
      { scope: 'key', period: 'day', limitMicroUsd: 5 },
      { scope: 'project', period: 'month', limitMicroUsd: 50 },
      { scope: 'project', period: 'total', limitMicroUsd: 500 },
    ])
  })
})
