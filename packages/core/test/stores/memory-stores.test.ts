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
