import type { Candidate, ScoredCandidate, SelectionRequest, SelectionStrategy } from '../contracts/rotation-policy.js'
import type { Pool } from './table.js'
import { cacheAffinitySelection } from './cache-affinity.js'
import { orderByKey } from './order.js'
import { RankedCandidate } from './ranked.js'

/** A candidate's Efraimidis–Spirakis draw: smaller comes first; P(first) ∝ weight. */
const weightedDraw = (weight: number, random: () => number) => -Math.log(1 - random()) / Math.max(weight, Number.MIN_VALUE)

/**
 * Weighted random order without replacement (Efraimidis–Spirakis): each candidate draws
 * -ln(u)/w and the smallest draws come first. O(n log n), one `random()` per candidate, in order.
 */
export function weightedShuffle(candidates: readonly Candidate[], random: () => number): Candidate[] {
  const order = orderByKey(candidates.length, (i) => weightedDraw(candidates[i]!.weight, random))
  return order.map((i) => candidates[i]!)
}

const scored = (list: readonly Candidate[], score: (c: Candidate, i: number) => number, why: (c: Candidate) => string): ScoredCandidate[] =>
  list.map((candidate, i) => new RankedCandidate(candidate, score(candidate, i), why))

/** Sort by a key (ascending), ties broken by config priority: stable and O(n log n). */
function sortBy(candidates: readonly Candidate[], key: (c: Candidate) => number): Candidate[] {
  return [...candidates].sort((a, b) => key(a) - key(b) || a.priority - b.priority)
}

/**
 * Below 1 by 2⁻³⁰: a group's draws, squeezed into [0, 1) by k / (1 + k), stay below the next
 * group's rank for up to 2²¹ distinct priorities, and draws stay distinct up to k ≈ 2³⁰ (weights
 * a billion times smaller than their group's others).
 */
const BELOW_ONE = 1 - 2 ** -30

/**
 * Lower `priority` first; equal priorities (e.g. the keys of one target) are spread by weight.
 * Two native sorts, however many groups: by priority (ties in input order), then by the group's
 * rank plus the candidate's draw. Draws are taken group by group in ascending priority, in input
 * order, only in groups of several — the same `random()` calls, in the same order, as shuffling
 * each group on its own.
 */
export const prioritySelection: SelectionStrategy = {
  name: 'priority',
  select(candidates, request) {
    const n = candidates.length
    let lowest = Infinity
    for (const c of candidates) if (c.priority < lowest) lowest = c.priority
    const byPriority = orderByKey(n, (i) => candidates[i]!.priority - lowest)
    const keys: number[] = new Array<number>(n)
    for (let start = 0, rank = 0; start < n; rank++) {
      const priority = candidates[byPriority[start]!]!.priority
      let end = start + 1
      while (end < n && candidates[byPriority[end]!]!.priority === priority) end++
      for (let j = start; j < end; j++) {
        const i = byPriority[j]!
        if (end - start === 1) keys[i] = rank
        else {
          const k = weightedDraw(candidates[i]!.weight, request.random)
          keys[i] = rank + Math.min(k / (1 + k), BELOW_ONE)
        }
      }
      start = end
    }
    const list = orderByKey(n, (i) => keys[i]!).map((i) => candidates[i]!)
    return scored(list, (c) => -c.priority, (c) => `priority ${c.priority}`)
  },
}

/** Traffic in proportion to `weight`; the order after the first pick is the failover order. */
export const weightedSelection: SelectionStrategy = {
  name: 'weighted',
  select(candidates, request) {
    return scored(weightedShuffle(candidates, request.random), (c) => c.weight, (c) => `weight ${c.weight.toFixed(3)}`)
  },
}

/** Each request starts one further along the pool. `select` only advances on real requests. */
export function roundRobinSelection(): SelectionStrategy & { advance(): void } {
  let next = 0
  return {
    name: 'round-robin',
    select(candidates) {
      const n = candidates.length
      const base = sortBy(candidates, () => 0)
      const start = n ? next % n : 0
      const list = base.map((_, i) => base[(start + i) % n]!)
      return scored(list, (_, i) => n - i, () => `turn ${start}`)
    },
    advance() {
      next++
    },
  }
}

/**
 * Power of two choices on the latency EWMA: of two random candidates the faster goes first, the
 * rest follow by latency. Unmeasured deployments count as fastest so they get measured.
 */
export const leastLatencySelection: SelectionStrategy = {
  name: 'least-latency',
  select(candidates, request) {
    const latency = (c: Candidate) => c.state.latencyEwmaMs ?? 0
    const rest = sortBy(candidates, latency)
    if (candidates.length >= 2) {
      const i = Math.floor(request.random() * candidates.length)
      let j = Math.floor(request.random() * (candidates.length - 1))
      if (j >= i) j++
      const a = candidates[i]!
      const b = candidates[j]!
      const first = latency(a) <= latency(b) ? a : b
      rest.splice(rest.indexOf(first), 1)
      rest.unshift(first)
    }
    return scored(rest, (c) => -latency(c), (c) => (c.state.latencyEwmaMs === undefined ? 'latency unmeasured' : `latency ewma ${latency(c).toFixed(1)} ms`))
  },
}

/** Fewest requests in flight first. */
export const leastBusySelection: SelectionStrategy = {
  name: 'least-busy',
  select(candidates) {
    return scored(sortBy(candidates, (c) => c.state.inFlight), (c) => -c.state.inFlight, (c) => `${c.state.inFlight} in flight`)
  },
}

/** USD per million tokens, input and output blended 1:1; unknown prices go last. */
export function blendedPrice(c: Candidate): number {
  const p = c.pricing
  if (!p || (p.input === undefined && p.output === undefined)) return Infinity
  return (p.input ?? 0) + (p.output ?? 0)
}

export const costSelection: SelectionStrategy = {
  name: 'cost',
  select(candidates) {
    return scored(sortBy(candidates, blendedPrice), (c) => -blendedPrice(c), (c) => (blendedPrice(c) === Infinity ? 'no price known' : `$${blendedPrice(c)}/M tokens`))
  },
}

/**
 * Requests started in the minute before `now`: `recentStarts` is in the order requests started,
 * which is time order, so the window is a suffix found by binary search — O(log n) instead of a
 * scan of up to 2,000 timestamps per candidate per request.
 */
export function startsInLastMinute(starts: readonly number[], now: number): number {
  const from = now - 60_000
  let lo = 0
  let hi = starts.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (starts[mid]! > from) hi = mid
    else lo = mid + 1
  }
  return starts.length - lo
}

/** Fraction of the request budget left, from upstream headers and `maxRpm`; 1 when unknown. */
export function headroom(c: Candidate, now: number): number {
  let h = 1
  const rl = c.state.rateLimit
  if (rl?.limitRequests && rl.remainingRequests !== undefined && (rl.resetRequestsAt === undefined || rl.resetRequestsAt > now)) {
    h = Math.min(h, rl.remainingRequests / rl.limitRequests)
  }
  if (c.maxRpm) h = Math.min(h, Math.max(0, 1 - startsInLastMinute(c.state.recentStarts, now) / c.maxRpm))
  return h
}

/**
 * Keep the configured order while a deployment has headroom; one that used more than `threshold`
 * of its limit, or served less than `minDelta` ago, moves behind the others. Each candidate's
 * headroom is worked out once per request, not in every comparison of the sort.
 */
export function rateLimitHeadroomSelection(pool: Pick<Pool, 'rateLimit'>): SelectionStrategy {
  return {
    name: 'rate-limit-headroom',
    select(candidates, request) {
      const spare = 1 - pool.rateLimit.threshold
      const tooSoon = (c: Candidate) => pool.rateLimit.minDeltaMs > 0 && (c.state.recentStarts.at(-1) ?? -Infinity) > request.now - pool.rateLimit.minDeltaMs
      const n = candidates.length
      const room: number[] = []
      const behind: number[] = []
      for (let i = 0; i < n; i++) {
        room.push(headroom(candidates[i]!, request.now))
        behind.push(room[i]! <= spare || tooSoon(candidates[i]!) ? 1 : 0)
      }
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => behind[a]! - behind[b]! || candidates[a]!.priority - candidates[b]!.priority || room[b]! - room[a]!)
      const why = (c: Candidate) => `headroom ${(headroom(c, request.now) * 100).toFixed(0)}%${tooSoon(c) ? ', served within minDelta' : ''}`
      return order.map((i) => new RankedCandidate(candidates[i]!, room[i]!, why))
    },
  }
}

/** The selection strategy of a pool; stateful strategies get one instance per pool. */
export function createSelection(pool: Pool): SelectionStrategy {
  switch (pool.selection) {
    case 'priority':
      return prioritySelection
    case 'weighted':
      return weightedSelection
    case 'round-robin':
      return roundRobinSelection()
    case 'least-latency':
      return leastLatencySelection
    case 'least-busy':
      return leastBusySelection
    case 'cost':
      return costSelection
    case 'rate-limit-headroom':
      return rateLimitHeadroomSelection(pool)
    case 'cache-affinity':
      return cacheAffinitySelection(pool)
  }
}
