import { afterEach, describe, expect, it, vi } from 'vitest'
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

  describe('events queued while a full batch is written', () => {
    /** A writer (batches of 25, 250 ms interval, fake timers) whose store is slow on its first write, until `release()`. */
    const slowFirstWrite = () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const calls: number[] = []
      let released: () => void = () => {}
      const ledger = {
        recordUsage: (events: UsageEvent[]) => {
          calls.push(events.length)
          return calls.length === 1 ? new Promise<void>((resolve) => (released = resolve)) : Promise.resolve()
        },
      } as unknown as LedgerStoreV1
      const writer = new UsageWriter(ledger, { flushIntervalMs: 250, batchSize: 25, maxQueue: 1_000, onError: () => {} })
      return { calls, writer, release: () => released() }
    }

    afterEach(() => {
      vi.useRealTimers()
    })

    it('wait for their own batch to fill or for the interval, instead of going out as a remainder', async () => {
      const { calls, release, writer } = slowFirstWrite()
      const turn = () => new Promise((resolve) => setImmediate(resolve))
      for (let i = 0; i < 25; i++) writer.push(event(i))
      await turn()
      expect(calls).toEqual([25])
      // Ten more arrive while that batch is being written.
      for (let i = 25; i < 35; i++) writer.push(event(i))
      release()
      await turn()
      await turn()
      expect(calls).toEqual([25])
      // Their batch fills: written whole.
      for (let i = 35; i < 50; i++) writer.push(event(i))
      await turn()
      await turn()
      expect(calls).toEqual([25, 25])
      // A remainder that never fills goes out with the interval.
      for (let i = 50; i < 57; i++) writer.push(event(i))
      await turn()
      expect(calls).toEqual([25, 25])
      await vi.advanceTimersByTimeAsync(250)
      expect(calls).toEqual([25, 25, 7])
      expect(writer.written).toBe(57)
    })

    it('are written by the interval even when a full batch was being written when it was set', async () => {
      const { calls, release, writer } = slowFirstWrite()
      for (let i = 0; i < 25; i++) writer.push(event(i))
      await new Promise((resolve) => setImmediate(resolve))
      for (let i = 25; i < 28; i++) writer.push(event(i))
      // The interval passes while the first batch is still being written.
      await vi.advanceTimersByTimeAsync(250)
      expect(calls).toEqual([25])
      release()
      await vi.advanceTimersByTimeAsync(0)
      await new Promise((resolve) => setImmediate(resolve))
      expect(calls).toEqual([25, 3])
      expect(writer.written).toBe(28)
    })
  })
})
