import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../src/billing/rate-limiter.js'
import { GatewayError, memoryCounterStore, type CounterStoreV1 } from '../src/index.js'

describe('sliding-log RPM', () => {
  it('admits exactly `limit` per sliding minute, whatever the alignment', async () => {
    let now = 1_000_000_123 // not aligned to a minute
    const limiter = new RateLimiter(memoryCounterStore(), () => now)
    let admitted = 0
    // Twice the limit's rate for two minutes: every 250 ms.
    const accepted: number[] = []
    for (let i = 0; i < 480; i++) {
      try {
        await limiter.admit('k', 'mk_live_x', { rpm: 120 }, 0)
        admitted++
        accepted.push(now)
      } catch (error) {
        expect(GatewayError.isInstance(error) && error.status).toBe(429)
      }
      now += 250
    }
    // No 60 s span ever holds more than the limit…
    for (let i = 0; i < accepted.length; i++) {
      const inWindow = accepted.filter((t) => t > accepted[i]! - 60_000 && t <= accepted[i]!).length
      expect(inWindow).toBeLessThanOrEqual(120)
    }
    // …and under steady overload the limit is used fully: 120 in the first minute, 240 in two.
    expect(admitted).toBe(240)
  })

  it('tells how long to wait: until the oldest request leaves the window', async () => {
    let now = 0
    const limiter = new RateLimiter(memoryCounterStore(), () => now)
    await limiter.admit('k', 'p', { rpm: 1 }, 0)
    now = 20_000
    const error = await Promise.resolve()
      .then(() => limiter.admit('k', 'p', { rpm: 1 }, 0))
      .catch((e: GatewayError) => e)
    expect((error as GatewayError).headers['retry-after']).toBe('40')
  })
})

describe('in-process counters (counters.local)', () => {
  /** The memory store seen only through the promise methods, as a network store would be. */
  const withoutLocal = (store: CounterStoreV1): CounterStoreV1 => {
    const { local: _local, ...rest } = store
    return rest
  }
  const outcome = async (run: () => unknown) => {
    try {
      return { ok: true, headers: await run() }
    } catch (error) {
      return { ok: false, status: (error as GatewayError).status, headers: (error as GatewayError).headers }
    }
  }

  it('the memory store has them, and they share its counters with the promise methods', async () => {
    const store = memoryCounterStore()
    expect(store.local).toBeDefined()
    store.local!.increment('tpm:k', 5, 60_000, 1_000)
    expect(await store.get('tpm:k', 60_000, 1_000)).toBe(5)
    await store.increment('tpm:k', 2, 60_000, 1_000)
    expect(store.local!.get('tpm:k', 60_000, 1_000)).toBe(7)
    expect(store.local!.hit!('log', 1, 60_000, 1_000)).toEqual({ allowed: true, count: 1, oldestAt: 1_000 })
    expect(await store.hit!('log', 1, 60_000, 2_000)).toEqual({ allowed: false, count: 1, oldestAt: 1_000 })
    expect(() => store.local!.increment('', 1, 60_000)).toThrow(/counter key/)
  })

  it('admit answers synchronously with them — headers, or a thrown 429 — and a promise without them', () => {
    const limiter = new RateLimiter(memoryCounterStore(), () => 0)
    const headers = limiter.admit('k', 'p', { rpm: 1, tpm: 100 }, 10)
    expect(headers).not.toBeInstanceOf(Promise)
    expect(headers).toMatchObject({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '90' })
    expect(() => limiter.admit('k', 'p', { rpm: 1 }, 0)).toThrow(/Rate limit reached/)
    const remote = new RateLimiter(withoutLocal(memoryCounterStore()), () => 0)
    expect(remote.admit('k', 'p', { rpm: 1 }, 0)).toBeInstanceOf(Promise)
  })

  it('gives the same answers, headers and refusals as the promise path, step by step', async () => {
    let now = 7_777
    const local = new RateLimiter(memoryCounterStore(), () => now)
    const remote = new RateLimiter(withoutLocal(memoryCounterStore()), () => now)
    // Sliding log (rpm), and the two-window estimate (tpm, rpm on a store without hit).
    const plans: Array<{ rpm?: number; tpm?: number }> = [{ rpm: 3, tpm: 50 }, { tpm: 40 }]
    const seen = { admitted: 0, refused: 0 }
    for (let i = 0; i < 60; i++) {
      const limits = plans[i % plans.length]!
      const tokens = 7 + (i % 5)
      const answer = await outcome(() => local.admit('k', 'p', limits, tokens))
      expect(answer).toEqual(await outcome(() => remote.admit('k', 'p', limits, tokens)))
      seen[answer.ok ? 'admitted' : 'refused']++
      if (i % 4 === 0) {
        await local.correctTokens('k', -3, now)
        await remote.correctTokens('k', -3, now)
      }
      now += 4_100
    }
    // Both kinds of answer were compared.
    expect(seen.admitted).toBeGreaterThan(10)
    expect(seen.refused).toBeGreaterThan(10)
    // A store without a sliding log: rpm counted in two windows, given back when tpm refuses.
    const store = memoryCounterStore()
    const { hit: _hit, ...localNoLog } = store.local!
    const twoWindows = new RateLimiter({ ...withoutLocal(store), hit: undefined, local: localNoLog }, () => now)
    expect(await outcome(() => twoWindows.admit('k2', 'p', { rpm: 2, tpm: 5 }, 10))).toMatchObject({ ok: false, status: 429 })
    expect(store.local!.get('rpm:k2', 60_000, now)).toBe(0)
    expect(await outcome(() => twoWindows.admit('k2', 'p', { rpm: 2, tpm: 50 }, 10))).toMatchObject({ ok: true })
    expect(store.local!.get('rpm:k2', 60_000, now)).toBe(1)
  })
})
