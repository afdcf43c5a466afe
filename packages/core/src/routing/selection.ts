import type { Candidate, SelectionRequest, SelectionStrategy } from '../contracts/rotation-policy.js'

/**
 * Weighted random order without replacement (Efraimidis–Spirakis): each candidate draws
 * -ln(u)/w and the smallest draws come first. O(n log n), no table copies beyond the result.
 */
function weightedShuffle(candidates: readonly Candidate[], random: () => number): Candidate[] {
  const keyed = candidates.map((c) => ({ c, k: -Math.log(1 - random()) / Math.max(c.weight, Number.MIN_VALUE) }))
  keyed.sort((a, b) => a.k - b.k)
  return keyed.map((x) => x.c)
}

/** Lower `priority` first; equal priorities (e.g. the keys of one target) are spread by weight. */
export const prioritySelection: SelectionStrategy = {
  name: 'priority',
  select(candidates, request) {
    const groups = new Map<number, Candidate[]>()
    for (const c of candidates) {
      const group = groups.get(c.priority)
      if (group) group.push(c)
      else groups.set(c.priority, [c])
    }
    const order = [...groups.keys()].sort((a, b) => a - b)
    return order.flatMap((p) => {
      const group = groups.get(p)!
      return group.length === 1 ? group : weightedShuffle(group, request.random)
    })
  },
  score(candidate) {
    return -candidate.priority
  },
}

/** Traffic in proportion to `weight`; the order after the first pick is the failover order. */
export const weightedSelection: SelectionStrategy = {
  name: 'weighted',
  select(candidates, request: SelectionRequest) {
    return weightedShuffle(candidates, request.random)
  },
  score(candidate) {
    return candidate.weight
  },
}

export const SELECTION: Readonly<Record<string, SelectionStrategy>> = Object.freeze({
  priority: prioritySelection,
  weighted: weightedSelection,
})
