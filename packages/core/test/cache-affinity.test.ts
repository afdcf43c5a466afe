import { describe, expect, it } from 'vitest'
import type { Candidate, DeploymentState } from '../src/index.js'
import { cacheAffinitySelection, MAX_BINDINGS } from '../src/routing/cache-affinity.js'

const TTL = 300_000
const candidates: Candidate[] = ['d1', 'd2'].map((id) => ({ deployment: { id, provider: 'p', model: 'm', keyIndex: 0 }, state: { inFlight: 0 } as DeploymentState, priority: 0, weight: 1, cacheGroup: id }))

function strategy() {
  const s = cacheAffinitySelection({ affinity: { ttlMs: TTL, prefixMessages: 2, loadWeightUsd: 0 } })
  /** Whether the strategy still holds a binding for `key` (it then puts its deployment first, saying why). */
  const bound = (key: string, now: number) => s.select(candidates, { publicModel: 'm', now, random: () => 0.5, affinityKey: key })[0]!.why.startsWith('holds cached prefix')
  return { s, bound }
}

describe(`cache-affinity bindings (at most ${MAX_BINDINGS.toLocaleString('en-US')}, least recently used dropped first)`, () => {
  it('at the cap drops the least recently used binding, not one used lately', () => {
    const { s, bound } = strategy()
    const now = 1_000_000
    for (let i = 0; i < MAX_BINDINGS; i++) s.observe(`k${i}`, candidates[1]!, undefined, 1000, now)
    s.observe('k0', candidates[1]!, undefined, 1000, now + 1) // used again: now the most recent
    for (let i = 0; i < 10; i++) s.observe(`new${i}`, candidates[1]!, undefined, 1000, now + 2)
    expect(s.bindings).toBe(MAX_BINDINGS)
    expect(bound('k0', now + 3)).toBe(true)
    for (let i = 1; i <= 10; i++) expect(bound(`k${i}`, now + 3)).toBe(false)
    expect(bound('k11', now + 3)).toBe(true)
    expect(bound('new9', now + 3)).toBe(true)
  })

  it('drops expired bindings when a new one comes, and keeps the order right after many uses of one binding', () => {
    const { s, bound } = strategy()
    const now = 1_000_000
    for (let i = 0; i < 100; i++) s.observe(`old${i}`, candidates[1]!, undefined, 1000, now)
    s.observe('fresh', candidates[1]!, undefined, 1000, now + TTL)
    expect(s.bindings).toBe(1)
    expect(bound('fresh', now + TTL + 1)).toBe(true)
    // 5,000 uses of one binding (its stale queue entries are compacted away), then fill to the cap:
    // it is evicted in its turn, after the bindings used before its last use.
    for (let i = 0; i < 5_000; i++) s.observe('busy', candidates[1]!, undefined, 1000, now + TTL + 1)
    for (let i = 0; i < MAX_BINDINGS - 2; i++) s.observe(`f${i}`, candidates[1]!, undefined, 1000, now + TTL + 2)
    expect(s.bindings).toBe(MAX_BINDINGS)
    s.observe('one-more', candidates[1]!, undefined, 1000, now + TTL + 3)
    expect(bound('fresh', now + TTL + 4)).toBe(false)
    expect(bound('busy', now + TTL + 4)).toBe(true)
    s.observe('two-more', candidates[1]!, undefined, 1000, now + TTL + 3)
    expect(bound('busy', now + TTL + 4)).toBe(false)
    expect(bound('f0', now + TTL + 4)).toBe(true)
  })

  it('a deployment reporting cached tokens takes the binding over, without growing the count', () => {
    const { s } = strategy()
    s.observe('k', candidates[0]!, undefined, 1000, 1)
    s.observe('k', candidates[1]!, 800, 1000, 2)
    expect(s.bindings).toBe(1)
    expect(s.select(candidates, { publicModel: 'm', now: 3, random: () => 0.5, affinityKey: 'k' })[0]!.candidate.deployment.id).toBe('d2')
  })
})
