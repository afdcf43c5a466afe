// The runtime state of deployments (`DeploymentStates`): the window of recent outcomes that the
// error-rate rule reads keeps the last outcomes in time order, and reuses the tuples it trims
// rather than allocating one per request (each lived long enough to reach V8's old generation).
import { describe, expect, it } from 'vitest'
import type { DeploymentRef } from '../../src/contracts/provider.js'
import { DeploymentStates } from '../../src/engine/deployment-state.js'

const ref = (id: string): DeploymentRef => ({ id, provider: 'p', model: id, keyIndex: 0 })

describe('DeploymentStates: recent outcomes', () => {
  it('keeps the latest outcomes in order, with their values, across trims', () => {
    const states = new DeploymentStates([ref('a')], 0)
    for (let i = 1; i <= 5_000; i++) {
      states.begin('a', i)
      if (i % 7 === 0) states.fail('a', i)
      else states.succeed('a', 1, i)
    }
    const recent = states.get('a').recent
    expect(recent.length).toBeGreaterThanOrEqual(1_000)
    expect(recent.length).toBeLessThan(2_000)
    // The last outcomes, one per time, in order, each with its own verdict.
    const times = recent.map(([at]) => at)
    expect(times).toEqual(Array.from({ length: recent.length }, (_, i) => 5_001 - recent.length + i))
    for (const [at, bad] of recent) expect(bad).toBe(at % 7 === 0 ? 1 : 0)
  })

  it('reuses trimmed tuples (also across deployments) instead of one new tuple per outcome', () => {
    const states = new DeploymentStates([ref('a'), ref('b')], 0)
    const seen = new Set<unknown>()
    for (let i = 1; i <= 10_000; i++) {
      const id = i % 2 ? 'a' : 'b'
      states.begin(id, i)
      states.succeed(id, 1, i)
      seen.add(states.get(id).recent.at(-1))
    }
    // Two windows of at most 2,000 each and the spares between them: far fewer than 10,000.
    expect(seen.size).toBeLessThanOrEqual(6_000)
    expect(states.get('a').recent.at(-1)).toEqual([9_999, 0])
    expect(states.get('b').recent.at(-1)).toEqual([10_000, 0])
  })

  it('gives the tuples of a reactivated deployment back: its window starts empty', () => {
    const states = new DeploymentStates([ref('a')], 0)
    for (let i = 1; i <= 50; i++) states.fail('a', i)
    const s = states.get('a')
    expect(s.recent).toHaveLength(50)
    states.activate(s, 100, 'test')
    expect(s.recent).toHaveLength(0)
    states.succeed('a', 1, 101)
    expect(s.recent).toEqual([[101, 0]])
  })
})
