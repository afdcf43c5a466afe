import { describe, expect, it } from 'vitest'
import { UsageWriter } from '../src/billing/usage-writer.js'
import { normalizeConfig } from '../src/config/normalize.js'
import type { LedgerStoreV1 } from '../src/contracts/ledger-store.js'
import type { UsageEvent } from '../src/contracts/usage-event.js'
import { validateConfig } from '../src/index.js'

const event = (i: number) => ({ specificationVersion: 'mesh.usage.v1', requestId: `req-${i}`, timings: { startedAt: i } }) as unknown as UsageEvent

describe('usage writer', () => {
  it('writes usage in batches of 25 by default, letting the event loop run between them', async () => {
    const ir = normalizeConfig(validateConfig({ providers: { p: { package: 'x', factory: 'y', options: {} } }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } } }), () => 1)
    expect(ir.billing.usageBatchSize).toBe(25)
    expect(ir.billing.usageFlushIntervalMs).toBe(250)
    const calls: Array<{ size: number; ticksBefore: number }> = []
    let ticks = 0
    // A store that commits in a later tick, as the SQLite group commit does.
    const ledger = { recordUsage: (events: UsageEvent[]) => new Promise((resolve) => setImmediate(() => resolve(events.length))) } as unknown as LedgerStoreV1
    const writer = new UsageWriter(ledger, { flushIntervalMs: ir.billing.usageFlushIntervalMs, batchSize: ir.billing.usageBatchSize, maxQueue: 1_000, onError: () => {} })
    const original = ledger.recordUsage.bind(ledger)
    ledger.recordUsage = (events) => {
      calls.push({ size: events.length, ticksBefore: ticks })
      return original(events)
    }
    // Another task of the event loop, counting the turns it gets (once per loop iteration).
    let stop = false
    const spin = () => {
      ticks++
      if (!stop) setImmediate(spin)
    }
    setImmediate(spin)
    for (let i = 0; i < 60; i++) writer.push(event(i))
    await writer.flush()
    stop = true
    expect(calls.map((c) => c.size)).toEqual([25, 25, 10])
    expect(writer.written).toBe(60)
    // Other work ran between the batches.
    expect(calls[2]!.ticksBefore).toBeGreaterThan(calls[0]!.ticksBefore)
  })

  it('writes a full batch after the answers of the current turn, not on the answer of its last event', async () => {
    const order: string[] = []
    const ledger = { recordUsage: async (events: UsageEvent[]) => (order.push(`write ${events.length}`), events.length) } as unknown as LedgerStoreV1
    const writer = new UsageWriter(ledger, { flushIntervalMs: 60_000, batchSize: 3, maxQueue: 1_000, onError: () => {} })
    // As in the gate: the event is pushed, then the settlement resolves and the answer is written
    // in the promise continuations that follow.
    const answer = async (i: number) => {
      writer.push(event(i))
      await Promise.resolve()
      await Promise.resolve()
      order.push(`answer ${i}`)
    }
    await Promise.all([answer(0), answer(1), answer(2)])
    expect(order).toEqual(['answer 0', 'answer 1', 'answer 2'])
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual(['answer 0', 'answer 1', 'answer 2', 'write 3'])
    expect(writer.written).toBe(3)
    // An explicit flush (shutdown) still writes at once and cancels the scheduled one.
    writer.push(event(3))
    writer.push(event(4))
    writer.push(event(5))
    await writer.flush()
    expect(order.at(-1)).toBe('write 3')
    expect(writer.written).toBe(6)
  })
})
