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
