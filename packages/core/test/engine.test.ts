import { describe, expect, it } from 'vitest'
import { normalizeConfig } from '../src/config/normalize.js'
import { validateConfig } from '../src/config/validate.js'
import { runAttempts, type AttemptResult, type PlannedCandidate } from '../src/engine/attempt-loop.js'
import { retryDelayMs } from '../src/engine/backoff.js'
import { buildRoutingTable, prioritySelection, weightedSelection, type RetryIR } from '../src/index.js'
import type { Candidate, DeploymentState } from '../src/index.js'
import { fakeProvider } from './helpers/fake-provider.js'

function fakeClock() {
  let now = 0
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      now += ms
    },
    random: () => 0.5,
  }
}

function table(targets: Array<{ provider: string; model: string; weight?: number }>, keys = 1, retry: Record<string, unknown> = {}) {
  const providers = Object.fromEntries(targets.map((t) => [t.provider, fakeProvider(t.provider, Array.from({ length: keys }, (_, i) => `k${i}`))]))
  const json = validateConfig({ providers, models: { m: { targets, retry: { backoff: { initial: 100, max: 1000 }, ...retry } } } })
  return buildRoutingTable(normalizeConfig(json, () => keys))
}

const fail = (status: number, scope: 'provider' | 'rate-limit' | 'key' | 'request', retryAfterMs?: number): AttemptResult<string> => ({
  kind: 'failure',
  failure: { failure: { status }, classification: { retryable: scope !== 'request', scope, reason: `http_${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } },
})

describe('routing table', () => {
  it('gives one deployment per provider × model × key, sharing a cache group', () => {
    const t = table([{ provider: 'a', model: 'x' }], 3)
    const pool = t.pools.get('m')!
    expect(pool.members.map((m) => m.deployment.id)).toEqual(['a/x#0', 'a/x#1', 'a/x#2'])
    expect(new Set(pool.members.map((m) => m.cacheGroup))).toEqual(new Set(['a/x']))
    expect(Object.isFrozen(pool)).toBe(true)
    expect(Object.isFrozen(pool.members[0]!.deployment)).toBe(true)
  })
})

describe('attempt loop', () => {
  const plan = (t: ReturnType<typeof table>): PlannedCandidate[] => t.pools.get('m')!.members.map((m) => ({ deployment: m.deployment, pool: t.pools.get('m')! }))

  it('fails over in order and stops at the first success', async () => {
    const t = table([{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }])
    const seen: string[] = []
    const out = await runAttempts(plan(t), async (c) => {
      seen.push(c.deployment.id)
      return c.deployment.provider === 'a' ? fail(500, 'provider') : { kind: 'success', value: 'ok', status: 200 }
    }, fakeClock())
    expect(seen).toEqual(['a/x#0', 'b/y#0'])
    expect(out.result?.deployment.id).toBe('b/y#0')
    expect(out.attempts.map((a) => a.ok)).toEqual([false, true])
  })

  it('waits for Retry-After before retrying the same deployment', async () => {
    const t = table([{ provider: 'a', model: 'x' }])
    const clock = fakeClock()
    let calls = 0
    const out = await runAttempts(plan(t), async () => (++calls === 1 ? fail(429, 'rate-limit', 1000) : { kind: 'success', value: 'ok', status: 200 }), clock)
    expect(out.result?.value).toBe('ok')
    expect(clock.sleeps).toEqual([1000])
  })

  it('backs off exponentially with jitter between retries and gives up after `attempts`', async () => {
    const t = table([{ provider: 'a', model: 'x' }], 1, { attempts: 3 })
    const clock = fakeClock()
    const out = await runAttempts(plan(t), async () => fail(503, 'provider'), clock)
    expect(out.result).toBeUndefined()
    expect(out.attempts).toHaveLength(4)
    // random() = 0.5 → three quarters of 100, 200, 400 ms.
    expect(clock.sleeps).toEqual([75, 150, 300])
  })

  it('never retries a refused key or a status outside `retry.on`', async () => {
    const t = table([{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }], 1, { attempts: 5, on: [503] })
    const clock = fakeClock()
    const out = await runAttempts(plan(t), async (c) => (c.deployment.provider === 'a' ? fail(401, 'key') : fail(500, 'provider')), clock)
    expect(out.attempts.map((a) => a.deployment.id)).toEqual(['a/x#0', 'b/y#0'])
    expect(clock.sleeps).toEqual([])
  })

  it('ends on a final answer without trying others', async () => {
    const t = table([{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }])
    const rejected = fail(400, 'request') as Extract<AttemptResult<string>, { kind: 'failure' }>
    const out = await runAttempts(plan(t), async () => ({ kind: 'final', value: 'bad request', status: 400, failure: rejected.failure }), fakeClock())
    expect(out.result).toMatchObject({ value: 'bad request', status: 400 })
    expect(out.attempts).toHaveLength(1)
  })
})

describe('backoff', () => {
  const retry: RetryIR = { attempts: 5, on: [], backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 }, maxRetryAfterMs: 30_000 }
  it('is capped, jittered within [half, full], and floored by Retry-After', () => {
    expect(retryDelayMs(1, retry, undefined, () => 0)).toBe(50)
    expect(retryDelayMs(1, retry, undefined, () => 0.999999)).toBeCloseTo(100, 3)
    expect(retryDelayMs(10, retry, undefined, () => 1)).toBe(1000)
    expect(retryDelayMs(1, retry, 2000, () => 1)).toBe(2000)
  })
})

describe('selection', () => {
  const state = {} as DeploymentState
  const cand = (id: string, priority: number, weight = 1): Candidate => ({ deployment: { id, provider: id, model: 'm', keyIndex: 0 }, state, priority, weight, cacheGroup: id })

  it('priority orders by priority and spreads equal priorities', () => {
    const cs = [cand('b', 1), cand('a', 0), cand('c', 1)]
    const firsts = new Set<string>()
    let r = 0
    for (let i = 0; i < 20; i++) {
      const order = prioritySelection.select(cs, { publicModel: 'm', now: 0, random: () => ((r = (r * 9301 + 49297) % 233280) / 233280) })
      expect(order[0]!.candidate.deployment.id).toBe('a')
      firsts.add(order[1]!.candidate.deployment.id)
    }
    expect(firsts).toEqual(new Set(['b', 'c']))
  })

  it('weighted picks first in proportion to weight', () => {
    const cs = [cand('heavy', 0, 3), cand('light', 0, 1)]
    let seed = 1
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const counts = { heavy: 0, light: 0 }
    for (let i = 0; i < 4000; i++) counts[weightedSelection.select(cs, { publicModel: 'm', now: 0, random })[0]!.candidate.deployment.id as 'heavy' | 'light']++
    expect(counts.heavy / 4000).toBeGreaterThan(0.7)
    expect(counts.heavy / 4000).toBeLessThan(0.8)
  })
})
