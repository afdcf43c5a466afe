import { testCounterStore, testLedgerStore, testStateStore } from '@modelmesh/testkit'
import { describe, expect, it } from 'vitest'
import { memoryCounterStore, memoryLedgerStore, memoryStateStore } from '../../src/index.js'

// The in-memory stores are isolated per instance, so there is no `peer` (those checks are skipped, saying so).
testStateStore({ name: 'memory', create: () => memoryStateStore() })
testLedgerStore({ name: 'memory', create: () => memoryLedgerStore() })
testCounterStore({ name: 'memory', create: () => memoryCounterStore() })

describe('memory ledger bounds', () => {
  it('keeps at most maxUsageEvents usage events, dropping the oldest', async () => {
    const ledger = memoryLedgerStore({ maxUsageEvents: 3 })
    const event = (i: number) => ({ specificationVersion: 'mesh.usage.v1' as const, requestId: `r${i}`, ingress: 'openai.chat', requestedModel: 'm', stream: false, attempts: [], usage: {}, timings: { startedAt: i, totalMs: 1 }, status: 200 })
    await ledger.recordUsage([1, 2, 3, 4, 5].map(event))
    expect((await ledger.usage({})).map((e) => e.requestId)).toEqual(['r5', 'r4', 'r3'])
  })
})

describe('memory counters: windows of one key', () => {
  it('keeps each window size and each window of a key apart, however many are asked for in turn', () => {
    const local = memoryCounterStore().local!
    const t = 1_700_000_000_000 - (1_700_000_000_000 % 60_000)
    // The same key in a 1 s and a 60 s window, then five successive 1 s windows (more than the ids
    // remembered per key), then the first ones again.
    expect(local.increment('k', 1, 60_000, t)).toBe(1)
    for (let i = 0; i < 5; i++) expect(local.increment('k', 10 + i, 1_000, t + i * 1_000)).toBe(10 + i)
    expect(local.increment('k', 1, 60_000, t + 4_000)).toBe(2)
    for (let i = 0; i < 5; i++) expect(local.get('k', 1_000, t + i * 1_000 + 999)).toBe(10 + i)
    expect(local.get('k', 60_000, t + 59_999)).toBe(2)
    expect(local.get('k', 60_000, t + 60_000)).toBe(0)
    expect(local.get('other', 1_000, t)).toBe(0)
  })
})

describe('memory counters: a busy sliding log', () => {
  it('counts exactly while expired timestamps are dropped in bulk (the log compacted in place)', () => {
    const local = memoryCounterStore().local!
    const windowMs = 1_000
    const limit = 300
    const t0 = 1_700_000_000_000
    const allowedAt: number[] = []
    // ~4 hits a ms for 5 s: the log fills, refuses, and its expired prefix is compacted many times.
    for (let i = 0; i < 20_000; i++) {
      const now = t0 + Math.floor(i / 4)
      const live = allowedAt.filter((at) => at > now - windowMs)
      const result = local.hit!('busy', limit, windowMs, now)
      expect(result.allowed).toBe(live.length < limit)
      if (result.allowed) allowedAt.push(now)
      expect(result.count).toBe(Math.min(limit, live.length + (result.allowed ? 1 : 0)))
      expect(result.oldestAt).toBe(allowedAt.find((at) => at > now - windowMs))
    }
    expect(allowedAt.length).toBeGreaterThan(limit * 4)
  })
})
