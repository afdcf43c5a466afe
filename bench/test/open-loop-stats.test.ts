// How the bench pools open-loop rounds (bench/lib/open-loop-stats.mjs). Nothing here is timed.
import { describe, expect, it } from 'vitest'
// (a plain ES module of the bench: bench/ has no types and is not type-checked)
import { mergeRounds, percentiles, slowStretches } from '../lib/open-loop-stats.mjs'

const round = (latencyUs: number[], extra: Record<string, unknown> = {}) => ({
  sent: latencyUs.length,
  achievedRate: 1000,
  completedRate: 990,
  unfinished: 0,
  errors: 0,
  non2xx: 0,
  latencyMs: percentiles(latencyUs),
  pacing: { mode: 'clock', sentAlone: 0.9, largestBurst: 2 },
  raw: { latency: latencyUs },
  ...extra,
})

describe('open-loop statistics', () => {
  it('takes nearest-rank percentiles of µs samples, in ms', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => (i + 1) * 10) // 10 µs … 10,000 µs
    expect(percentiles(samples)).toEqual({ p50: 5, p90: 9, p95: 9.5, p99: 9.9, p999: 9.99, max: 10, count: 1000 })
    expect(percentiles([])).toBeNull()
    expect(percentiles([700])).toMatchObject({ p50: 0.7, p99: 0.7, count: 1 })
  })

  it('pools the rounds before taking percentiles: one round’s hiccup is 1 % of the whole, not its p99', () => {
    const quiet = Array.from({ length: 1000 }, () => 500)
    const hiccup = [...Array.from({ length: 980 }, () => 500), ...Array.from({ length: 20 }, () => 40_000)]
    // Alone, the hiccupy round's p99 is 40 ms; pooled with two quiet rounds, 20 of 3,000 samples sit above p99.
    expect(percentiles(hiccup)!.p99).toBe(40)
    const merged = mergeRounds([round(quiet), round(hiccup, { completedRate: 940, errors: 1, pacing: { mode: 'clock', sentAlone: 0.7, largestBurst: 9 } }), round(quiet)])
    expect(merged.latencyMs).toMatchObject({ p50: 0.5, p99: 0.5, max: 40, count: 3000 })
    expect(merged.rounds.map((r: { latencyMs: { p99: number } }) => r.latencyMs.p99)).toEqual([0.5, 40, 0.5])
    // The slowest round decides whether the target kept up; counts add up; the least even pacing is reported.
    expect(merged).toMatchObject({ sent: 3000, completedRate: 940, errors: 1, pacing: { sentAlone: 0.7, largestBurst: 9 } })
    expect(merged.ttftMs).toBeUndefined()
  })

  it('pools time to first token too for streams', () => {
    const merged = mergeRounds([round([2000, 3000], { raw: { latency: [2000, 3000], ttft: [1000, 1200] } }), round([2500], { raw: { latency: [2500], ttft: [1100] } })], { stream: true })
    expect(merged.ttftMs).toMatchObject({ p50: 1.1, max: 1.2, count: 3 })
  })

  it("pools ModelMesh's self-reported overhead (x-mesh-overhead-ms) when the rounds have it, and only then", () => {
    const merged = mergeRounds([round([2000], { raw: { latency: [2000], own: [150, 170] } }), round([2500], { raw: { latency: [2500], own: [160] } })])
    expect(merged.ownOverheadMs).toMatchObject({ p50: 0.16, max: 0.17, count: 3 })
    expect(mergeRounds([round([2000]), round([2500])])).not.toHaveProperty('ownOverheadMs')
  })

  it('groups slow answers into stretches: how many, how large, how far apart', () => {
    // 1,000 answers of 0.5 ms; a pause every 300 answers makes 5 slow ones (6–9 ms) in a row, and
    // one lone slow answer at 950 (more than `gap` after the last stretch).
    const us = Array.from({ length: 1000 }, () => 500)
    for (const start of [100, 400, 700]) for (let i = 0; i < 5; i++) us[start + i] = 6000 + 750 * i
    us[950] = 12_000
    expect(slowStretches(us)).toEqual({ slow: 16, stretches: 4, medianSize: 5, largestSize: 5, largestMs: 12, medianSpacing: 300 })
    // Slow answers up to `gap` apart are one stretch.
    us[960] = 7000
    expect(slowStretches(us, { gap: 10 })).toMatchObject({ slow: 17, stretches: 4, largestSize: 5 })
    expect(slowStretches(us, { gap: 5 })).toMatchObject({ slow: 17, stretches: 5 })
    expect(slowStretches(us, { thresholdMs: 10 })).toEqual({ slow: 1, stretches: 1, medianSize: 1, largestSize: 1, largestMs: 12, medianSpacing: null })
    expect(slowStretches([100, 200])).toBeNull()
  })
})
