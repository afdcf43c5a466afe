import { describe, expect, it } from 'vitest'
import type { Candidate, DeploymentState, ScoredCandidate } from '../src/index.js'
import { prioritySelection, weightedSelection } from '../src/index.js'
import { costSelection, leastBusySelection, leastLatencySelection, rateLimitHeadroomSelection, roundRobinSelection, startsInLastMinute, weightedShuffle } from '../src/routing/selection.js'
import { cacheAffinitySelection } from '../src/routing/cache-affinity.js'
import { orderByKey } from '../src/routing/order.js'
import { maintenanceEnd, nextQuotaWindow } from '../src/engine/rotation.js'

/** A seeded generator (Park–Miller), so every run draws the same numbers. */
const seeded = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646

/** The plain stable sort the native one replaces. */
const referenceOrder = (keys: number[]) =>
  keys
    .map((k, i) => ({ k: k > 0 ? Math.min(k, Number.MAX_VALUE) : 0, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.i)

// The selection code as it was before the native sort: the references the new code must match.
const referenceShuffle = (cs: readonly Candidate[], random: () => number) => {
  const keyed = cs.map((c) => ({ c, k: -Math.log(1 - random()) / Math.max(c.weight, Number.MIN_VALUE) }))
  keyed.sort((a, b) => a.k - b.k)
  return keyed.map((x) => x.c)
}
const referencePriority = (cs: readonly Candidate[], random: () => number) => {
  const groups = new Map<number, Candidate[]>()
  for (const c of cs) {
    const group = groups.get(c.priority)
    if (group) group.push(c)
    else groups.set(c.priority, [c])
  }
  return [...groups.keys()].sort((a, b) => a - b).flatMap((p) => (groups.get(p)!.length === 1 ? groups.get(p)! : referenceShuffle(groups.get(p)!, random)))
}

const ids = (list: readonly Candidate[] | readonly ScoredCandidate[]) => list.map((x) => ('candidate' in x ? x.candidate : x).deployment.id)

function pool(n: number, random: () => number, { priorities = 1, inFlight = 0 } = {}): Candidate[] {
  return Array.from({ length: n }, (_, i) => ({
    deployment: { id: `d${i}`, provider: `p${i % 7}`, model: 'm', keyIndex: i },
    state: { inFlight: Math.floor(random() * (inFlight + 1)) } as DeploymentState,
    priority: Math.floor(random() * priorities),
    // Weights from 1e-6 to 1e3, and some equal ones.
    weight: i % 5 === 0 ? 1 : 10 ** (random() * 9 - 6),
    cacheGroup: `g${i % 3}`,
  }))
}

describe('orderByKey (native sort with the index in the low mantissa bits)', () => {
  it('orders like a stable sort by key for many sizes, duplicates and the buffer growing', () => {
    const random = seeded(7)
    for (const n of [0, 1, 2, 3, 7, 64, 65, 100, 1000, 4097]) {
      for (let round = 0; round < 5; round++) {
        // A mix of distinct keys, repeated keys and zeros.
        const keys = Array.from({ length: n }, () => (random() < 0.2 ? Math.floor(random() * 4) : random() * 10 ** (random() * 20 - 10)))
        expect(orderByKey(n, (i) => keys[i]!)).toEqual(referenceOrder(keys))
      }
    }
  })

  it('clamps what is not a positive finite number: negatives, -0 and NaN count as 0, Infinity as the largest', () => {
    const keys = [3, -1, Infinity, 0, -0, Number.NaN, 2, Number.MAX_VALUE, Number.MIN_VALUE]
    expect(orderByKey(keys.length, (i) => keys[i]!)).toEqual([1, 3, 4, 5, 8, 6, 0, 2, 7])
  })

  it('calls the key function once per item, in index order', () => {
    const calls: number[] = []
    orderByKey(50, (i) => (calls.push(i), 50 - i))
    expect(calls).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})

describe('selection strategies on the native sort give the same orders as before', () => {
  it('weighted: the same order as the comparator sort, draw for draw', () => {
    const make = seeded(11)
    for (const n of [2, 3, 10, 100, 1000]) {
      for (let round = 0; round < 20; round++) {
        const cs = pool(n, make)
        const seed = Math.floor(make() * 1e9) + 1
        expect(ids(weightedShuffle(cs, seeded(seed)))).toEqual(ids(referenceShuffle(cs, seeded(seed))))
        expect(ids(weightedSelection.select(cs, { publicModel: 'm', now: 0, random: seeded(seed) }))).toEqual(ids(referenceShuffle(cs, seeded(seed))))
      }
    }
  })

  it('priority: groups in ascending priority, each shuffled by weight, with the same random() calls in the same order', () => {
    const make = seeded(13)
    for (const [n, priorities] of [
      [2, 2],
      [10, 3],
      [100, 10],
      [1000, 100],
      [1000, 1],
      [300, 1000],
    ] as const) {
      for (let round = 0; round < 20; round++) {
        const cs = pool(n, make, { priorities })
        const seed = Math.floor(make() * 1e9) + 1
        let calls = 0
        const counted = seeded(seed)
        const got = prioritySelection.select(cs, { publicModel: 'm', now: 0, random: () => (calls++, counted()) })
        let referenceCalls = 0
        const referenceRandom = seeded(seed)
        expect(ids(got)).toEqual(ids(referencePriority(cs, () => (referenceCalls++, referenceRandom()))))
        expect(calls).toBe(referenceCalls)
      }
    }
  })

  it('priority: any finite priorities (fractional, negative) still order lowest first', () => {
    const cs = [5, -2, 0.5, 0.25, -2, 5].map((priority, i) => ({ deployment: { id: `d${i}`, provider: 'p', model: 'm', keyIndex: i }, state: {} as DeploymentState, priority, weight: 1, cacheGroup: 'g' }))
    const order = prioritySelection.select(cs, { publicModel: 'm', now: 0, random: seeded(3) }).map((s) => s.candidate.priority)
    expect(order).toEqual([-2, -2, 0.25, 0.5, 5, 5])
  })

  it('cache affinity without a binding: fewest in flight first, then the random draw, as the comparator sort did', () => {
    const make = seeded(17)
    const strategy = cacheAffinitySelection({ affinity: { ttlMs: 60_000, prefixMessages: 2, loadWeightUsd: 0 } })
    for (const n of [2, 10, 1000]) {
      for (let round = 0; round < 20; round++) {
        const cs = pool(n, make, { inFlight: 5 })
        const seed = Math.floor(make() * 1e9) + 1
        const referenceRandom = seeded(seed)
        const reference = cs
          .map((c) => ({ c, r: referenceRandom() }))
          .sort((a, b) => a.c.state.inFlight - b.c.state.inFlight || a.r - b.r)
          .map((x) => x.c)
        expect(ids(strategy.select(cs, { publicModel: 'm', now: 0, random: seeded(seed) }))).toEqual(ids(reference))
      }
    }
  })

  it('writes `why` when it is read, from the candidate as ranked', () => {
    const cs = pool(3, seeded(5))
    const ranked = weightedSelection.select(cs, { publicModel: 'm', now: 0, random: seeded(9) })
    expect(ranked.map((r) => r.why)).toEqual(ranked.map((r) => `weight ${r.candidate.weight.toFixed(3)}`))
    expect(prioritySelection.select(cs, { publicModel: 'm', now: 0, random: seeded(9) })[0]!.why).toMatch(/^priority \d+$/)
  })
})

describe('strategies sorted by a key (least-busy, cost, least-latency, round-robin) give the same orders as the comparator sort', () => {
  const referenceSortBy = (cs: readonly Candidate[], key: (c: Candidate) => number) => [...cs].sort((a, b) => key(a) - key(b) || a.priority - b.priority)
  const price = (c: Candidate) => (c.pricing ? (c.pricing.input ?? 0) + (c.pricing.output ?? 0) : Infinity)

  it('on random pools with repeated keys, repeated priorities and unknown prices', () => {
    const random = seeded(31)
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(random() * (round % 10 === 0 ? 400 : 20))
      const cs: Candidate[] = Array.from({ length: n }, (_, i) => ({
        deployment: { id: `d${i}`, provider: 'p', model: 'm', keyIndex: i },
        state: { inFlight: Math.floor(random() * 4), latencyEwmaMs: random() < 0.2 ? undefined : Math.floor(random() * 5) * 10 } as DeploymentState,
        priority: Math.floor(random() * 3) - 1,
        weight: 1,
        cacheGroup: 'g',
        ...(random() < 0.8 ? { pricing: { input: Math.floor(random() * 3), output: Math.floor(random() * 3) } } : {}),
      }))
      const request = { publicModel: 'm', now: 0, random: () => 0.5 }
      expect(ids(leastBusySelection.select(cs, request))).toEqual(ids(referenceSortBy(cs, (c) => c.state.inFlight)))
      expect(ids(costSelection.select(cs, request))).toEqual(ids(referenceSortBy(cs, price)))
      expect(ids(roundRobinSelection().select(cs, request))).toEqual(ids(referenceSortBy(cs, () => 0)))
      // least-latency: the sorted rest, with the better of two random picks moved to the front.
      const latency = (c: Candidate) => c.state.latencyEwmaMs ?? 0
      const rest = referenceSortBy(cs, latency)
      if (n >= 2) {
        const i = Math.floor(0.5 * n)
        let j = Math.floor(0.5 * (n - 1))
        if (j >= i) j++
        const first = latency(cs[i]!) <= latency(cs[j]!) ? cs[i]! : cs[j]!
        rest.splice(rest.indexOf(first), 1)
        rest.unshift(first)
      }
      expect(ids(leastLatencySelection.select(cs, request))).toEqual(ids(rest))
    }
  })
})

describe('rate-limit-headroom (headroom worked out once per candidate, starts counted by binary search)', () => {
  /** The strategy as it was: headroom recomputed in every comparison, starts counted by a full scan. */
  const referenceHeadroom = (c: Candidate, now: number) => {
    let h = 1
    const rl = c.state.rateLimit
    if (rl?.limitRequests && rl.remainingRequests !== undefined && (rl.resetRequestsAt === undefined || rl.resetRequestsAt > now)) h = Math.min(h, rl.remainingRequests / rl.limitRequests)
    if (c.maxRpm) {
      let lastMinute = 0
      for (const t of c.state.recentStarts) if (t > now - 60_000) lastMinute++
      h = Math.min(h, Math.max(0, 1 - lastMinute / c.maxRpm))
    }
    return h
  }
  const referenceSelect = (cs: readonly Candidate[], now: number, threshold: number, minDeltaMs: number) => {
    const tooSoon = (c: Candidate) => minDeltaMs > 0 && (c.state.recentStarts.at(-1) ?? -Infinity) > now - minDeltaMs
    const rank = (c: Candidate) => (referenceHeadroom(c, now) <= 1 - threshold || tooSoon(c) ? 1 : 0)
    return [...cs].sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || referenceHeadroom(b, now) - referenceHeadroom(a, now)).map((c) => ({ id: c.deployment.id, score: referenceHeadroom(c, now) }))
  }

  it('counts the starts of the last minute like a full scan, boundaries included', () => {
    const now = 1_000_000
    const starts = [now - 120_000, now - 60_001, now - 60_000, now - 59_999, now - 1, now]
    for (let k = 0; k <= starts.length; k++) {
      const prefix = starts.slice(0, k)
      expect(startsInLastMinute(prefix, now)).toBe(prefix.filter((t) => t > now - 60_000).length)
    }
  })

  it('ranks and scores like before on random pools (limits from headers and maxRpm, minDelta)', () => {
    const random = seeded(23)
    const now = 5_000_000
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(random() * 30)
      const cs: Candidate[] = Array.from({ length: n }, (_, i) => {
        const count = Math.floor(random() * 300)
        const recentStarts = Array.from({ length: count }, () => now - Math.floor(random() * 120_000)).sort((a, b) => a - b)
        const limited = random() < 0.5
        return {
          deployment: { id: `d${i}`, provider: 'p', model: 'm', keyIndex: i },
          state: {
            inFlight: 0,
            recentStarts,
            ...(limited ? { rateLimit: { limitRequests: 100, remainingRequests: Math.floor(random() * 100), resetRequestsAt: now + (random() < 0.8 ? 1_000 : -1_000) } } : {}),
          } as unknown as DeploymentState,
          priority: Math.floor(random() * 3),
          weight: 1,
          cacheGroup: 'g',
          ...(random() < 0.7 ? { maxRpm: 50 + Math.floor(random() * 400) } : {}),
        }
      })
      const threshold = random()
      const minDeltaMs = random() < 0.5 ? 0 : Math.floor(random() * 2_000)
      const got = rateLimitHeadroomSelection({ rateLimit: { threshold, minDeltaMs } }).select(cs, { publicModel: 'm', now, random })
      expect(got.map((r) => ({ id: r.candidate.deployment.id, score: r.score }))).toEqual(referenceSelect(cs, now, threshold, minDeltaMs))
    }
  })
})

describe('nextQuotaWindow (remembers its last answer per window kind)', () => {
  it('answers each start right whatever was asked before', () => {
    const day = Date.UTC(2030, 0, 31)
    const feb = Date.UTC(2030, 1, 1)
    const asked: Array<[number, 'daily' | 'monthly', number]> = [
      [day, 'daily', Date.UTC(2030, 1, 1)],
      [day, 'daily', Date.UTC(2030, 1, 1)],
      [day, 'monthly', Date.UTC(2030, 1, 1)],
      [feb, 'monthly', Date.UTC(2030, 2, 1)],
      [day, 'daily', Date.UTC(2030, 1, 1)],
      [feb, 'daily', Date.UTC(2030, 1, 2)],
      [Date.UTC(2030, 11, 31), 'daily', Date.UTC(2031, 0, 1)],
      [Date.UTC(2030, 11, 1), 'monthly', Date.UTC(2031, 0, 1)],
      [feb, 'monthly', Date.UTC(2030, 2, 1)],
    ]
    for (const [start, window, end] of asked) expect(nextQuotaWindow(start, window)).toBe(end)
  })
})

describe('maintenanceEnd (kept until a window opens or closes)', () => {
  it('answers like a fresh computation at every instant, across window edges, overlaps and clock jumps', () => {
    const random = seeded(29)
    const schedules = [
      { cron: '0 3 * * *', durationMs: 30 * 60_000 },
      { cron: '*/10 * * * *', durationMs: 25 * 60_000 }, // windows overlap
      { cron: '*/5 * * * *', durationMs: 60_000 },
      { cron: '0 0 1 * *', durationMs: 0 }, // empty windows: never inside
    ]
    for (const schedule of schedules) {
      const kept = { ...schedule } // one object: its answers are kept between calls
      let now = Date.UTC(2030, 0, 30, 2, 0)
      for (let step = 0; step < 3_000; step++) {
        const jump = random()
        // Mostly small steps forward (often landing on an edge), sometimes back, sometimes a day on.
        now += jump < 0.05 ? -Math.floor(random() * 3_600_000) : jump < 0.1 ? 86_400_000 : jump < 0.3 ? 60_000 - (now % 60_000) : Math.floor(random() * 120_000)
        expect(maintenanceEnd(kept, now)).toBe(maintenanceEnd({ ...schedule }, now))
      }
    }
    // 12,000 fresh cron computations: 12.6 s alone on the 2026-12-04 night VM (half as fast as others),
    // past the 15-s default when the suite runs beside it; the count is what makes it a check.
  }, 60_000)
})
