// bench/lib/record.mjs: the goals' record over recorded runs, against each run's own direct fake.
import { describe, expect, it } from 'vitest'
// (plain ES modules of the bench: bench/ has no types and is not type-checked)
import { isFullRun, recordSummary } from '../lib/record.mjs'

const pct = (p50: number, p99: number) => ({ p50, p90: p50, p99 })
/** A report with every scenario: latency p99 and TTFT p50 per target (direct first). */
const report = (p99: Record<string, number>, ttft: Record<string, number>) => ({
  throughput: { 100: {} },
  streams: {},
  latency: Object.fromEntries(Object.entries(p99).map(([id, v]) => [id, { latencyMs: pct(0.2, v) }])),
  ttft: Object.fromEntries(Object.entries(ttft).map(([id, v]) => [id, { ttftMs: pct(v, v) }])),
})

describe('record: goals over recorded runs', () => {
  const a = report({ direct: 1, bare: 2.5, 'mesh-minimal': 3.5, 'mesh-full': 6 }, { direct: 1, bare: 1.5, 'mesh-minimal': 2.2, 'mesh-full': 1.9 })
  const b = report({ direct: 4, bare: 9, 'mesh-minimal': 5, 'mesh-full': 5.5 }, { direct: 1, bare: 2.1, 'mesh-minimal': 2, 'mesh-full': 2.5 })
  const partial = { latency: a.latency, ttft: a.ttft } // a --only latency,ttft run: left out

  it('counts each target against the direct fake of the same run, and lists where p99 was met', () => {
    const { runs, targets } = recordSummary([
      ['a', a],
      ['b', b],
      ['partial', partial],
    ])
    expect(runs).toEqual(['a', 'b'])
    const byId = Object.fromEntries(targets.map((t) => [t.id, t]))
    expect(byId.bare).toMatchObject({ runs: 2, p99Met: 1, ttftMet: 1, p99Median: 3.25, ttftMedian: 0.8 })
    expect(byId['mesh-minimal']).toMatchObject({ p99Met: 1, ttftMet: 1, p99Median: 1.75 })
    expect(byId['mesh-full']).toMatchObject({ p99Met: 1, ttftMet: 1, p99Median: 3.25 })
    expect(byId['mesh-full'].p99MetIn).toEqual([{ name: 'b', overheadMs: 1.5, directP99Ms: 4 }])
  })

  it('counts minimal and full against the bare proxy of the same run, and their own overhead where it was recorded', () => {
    // a: full p99 +5 against bare +1.5 (worse), TTFT +0.9 against +0.5 (worse); b: p99 +1.5 against +5 and TTFT +1.5 against +1.1 (better, worse)
    const own = (p50: number, p99: number) => ({ p50, p90: p50, p99 })
    const withOwn = structuredClone(b) as typeof b & { latency: Record<string, { ownOverheadMs?: unknown }>; ttft: Record<string, { ownOverheadMs?: unknown }> }
    withOwn.latency['mesh-full'].ownOverheadMs = own(0.1, 2.5)
    withOwn.ttft['mesh-full'].ownOverheadMs = own(0.3, 0.9)
    const { targets } = recordSummary([
      ['a', a],
      ['b', withOwn],
    ])
    const byId = Object.fromEntries(targets.map((t) => [t.id, t]))
    expect(byId.bare.p99AtMostBare).toBeUndefined()
    expect(byId['mesh-full']).toMatchObject({ p99AtMostBare: 1, ttftAtMostBare: 0, ownRuns: 1, ownP99Met: 0, ownP99Median: 2.5, ownTtftMet: 1, ownTtftMedian: 0.3 })
    // minimal: p99 +2.5 / +1 against bare +1.5 / +5; TTFT +1.2 / +1 against +0.5 / +1.1; no own figures recorded
    expect(byId['mesh-minimal']).toMatchObject({ p99AtMostBare: 1, ttftAtMostBare: 1 })
    expect(byId['mesh-minimal'].ownRuns).toBeUndefined()
  })

  it('counts first-token time at the latency rate in the runs that measured it', () => {
    const loaded = { ...b, ttftLoaded: { direct: { ttftMs: pct(0.2, 1) }, bare: { ttftMs: pct(0.5, 3) }, 'mesh-minimal': { ttftMs: pct(0.7, 3) }, 'mesh-full': { ttftMs: pct(1.4, 3) } } }
    const byId = Object.fromEntries(recordSummary([['a', a], ['loaded', loaded]]).targets.map((t) => [t.id, t]))
    expect(byId.bare).toMatchObject({ loadedRuns: 1, ttftLoadedMet: 1, ttftLoadedMedian: 0.3 })
    expect(byId['mesh-full']).toMatchObject({ loadedRuns: 1, ttftLoadedMet: 0, ttftLoadedMedian: 1.2 })
    expect(recordSummary([['a', a]]).targets[0].loadedRuns).toBeUndefined()
  })

  it('keeps to the runs of one open-loop client when asked (older runs without one: undici)', () => {
    const reports: Array<[string, unknown]> = [
      ['a', { ...a, openLoopClient: 'raw' }],
      ['b', { ...b, openLoopClient: 'c' }],
      ['old', a],
    ]
    expect(recordSummary(reports, { client: 'c' }).runs).toEqual(['b'])
    expect(recordSummary(reports, { client: 'raw' }).runs).toEqual(['a'])
    expect(recordSummary(reports, { client: 'undici' }).runs).toEqual(['old'])
    expect(recordSummary(reports).runs).toEqual(['a', 'b', 'old'])
  })

  it('keeps the runs with --awake-cores apart from those without when asked', () => {
    const reports: Array<[string, unknown]> = [
      ['awake', { ...a, openLoopClient: 'c', awakeCores: { cpus: 2 } }],
      ['halting', { ...b, openLoopClient: 'c' }],
    ]
    expect(recordSummary(reports, { awake: true }).runs).toEqual(['awake'])
    expect(recordSummary(reports, { awake: false }).runs).toEqual(['halting'])
    expect(recordSummary(reports, { client: 'c', awake: true }).runs).toEqual(['awake'])
    expect(recordSummary(reports).runs).toEqual(['awake', 'halting'])
  })

  it('takes only runs that measured every scenario for all three targets', () => {
    expect(isFullRun(a)).toBe(true)
    expect(isFullRun(partial)).toBe(false)
    expect(isFullRun({ ...a, latency: { direct: a.latency.direct, bare: a.latency.bare } })).toBe(false)
  })
})
