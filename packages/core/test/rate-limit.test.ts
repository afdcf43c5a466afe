import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../src/billing/rate-limiter.js'
import { GatewayError, memoryCounterStore } from '../src/index.js'

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
    const error = await limiter.admit('k', 'p', { rpm: 1 }, 0).catch((e: GatewayError) => e)
    expect((error as GatewayError).headers['retry-after']).toBe('40')
  })
})
