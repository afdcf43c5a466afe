import { describe, expect, it } from 'vitest'
import { attribute, latencyStats, overlapped, parseGcLine, pausesByKind } from '../lib/gc-slow.mjs'

describe('gc probe lines', () => {
  it('reads the probe line and nothing else', () => {
    expect(parseGcLine('gc scavenge 1234.500 1.250')).toEqual({ kind: 'scavenge', startMs: 1234.5, durationMs: 1.25 })
    expect(parseGcLine('gc mark-compact 10 3\n')).toEqual({ kind: 'mark-compact', startMs: 10, durationMs: 3 })
    expect(parseGcLine('listening on 127.0.0.1:4000')).toBeUndefined()
    expect(parseGcLine('gc scavenge x 1')).toBeUndefined()
  })
})

describe('overlapped', () => {
  it('marks the answers whose time in flight touches a pause, whatever the order of either', () => {
    // answers: [0, 1], [2, 2.5], [5, 9], [10, 10.1], [20, 21]; pauses [4, 6] and [9.5, 12] (given in reverse)
    const sent = [10, 0, 20, 5, 2]
    const latency = [0.1, 1, 1, 4, 0.5]
    const pauses = [
      { startMs: 9.5, durationMs: 2.5 },
      { startMs: 4, durationMs: 2 },
    ]
    expect(overlapped(sent, latency, pauses)).toEqual([true, false, false, true, false])
  })

  it('finds a long pause that began before shorter ones and is still open', () => {
    // a 10-ms pause from 0 and a short one from 1: an answer sent at 8 is inside the long one
    const pauses = [
      { startMs: 0, durationMs: 10 },
      { startMs: 1, durationMs: 0.5 },
    ]
    expect(overlapped([8, 11], [1, 1], pauses)).toEqual([true, false])
  })

  it('marks nothing without pauses', () => {
    expect(overlapped([1, 2], [1, 1], [])).toEqual([false, false])
  })
})

describe('attribute', () => {
  it('splits the slow answers by cause and gives the percentiles of the answers no pause touched', () => {
    // 100 answers 1 ms apart, 0.5 ms each, but five slow ones: two inside a GC pause, one inside a
    // foreign thread's run, one in both, one in neither.
    const sent = Array.from({ length: 100 }, (_, i) => i)
    const latency = sent.map(() => 0.5)
    for (const i of [10, 11, 50, 70, 90]) latency[i] = 8
    const gc = [{ kind: 'scavenge', startMs: 10.2, durationMs: 2 }, { kind: 'scavenge', startMs: 70.1, durationMs: 1 }]
    const foreign = [{ kind: 'kdamond.0', startMs: 50.3, durationMs: 3 }, { kind: 'kdamond.0', startMs: 70.2, durationMs: 3 }]
    const a = attribute(sent, latency, { gc, foreign }, { slowMs: 5 })
    expect(a.slow).toEqual({ count: 5, by: { gc: 3, foreign: 2 }, none: 1 })
    // the pauses touch the fast answers sent while they last too: GC 10, 11, 12 and 70, 71; the
    // foreign runs 50-53 and 70-73 — eleven answers in all
    expect(a.hitCount).toEqual({ gc: 5, foreign: 8 })
    expect(a.clean.count).toBe(89)
    expect(a.clean.max).toBe(8)
    expect(a.all.p99).toBe(8)
    expect(a.clean.p50).toBe(0.5)
  })
})

describe('latencyStats and pausesByKind', () => {
  it('takes nearest-rank percentiles without sorting the input in place', () => {
    const xs = [5, 1, 4, 2, 3]
    expect(latencyStats(xs)).toEqual({ count: 5, p50: 3, p90: 5, p99: 5, max: 5 })
    expect(xs).toEqual([5, 1, 4, 2, 3])
    expect(latencyStats([]).p50).toBeNaN()
  })

  it('sums the pauses of each kind', () => {
    const kinds = pausesByKind([
      { kind: 'scavenge', startMs: 0, durationMs: 1 },
      { kind: 'mark-compact', startMs: 5, durationMs: 4 },
      { kind: 'scavenge', startMs: 9, durationMs: 3 },
    ])
    expect(kinds).toEqual([
      { kind: 'scavenge', count: 2, p50: 1, max: 3, totalMs: 4 },
      { kind: 'mark-compact', count: 1, p50: 4, max: 4, totalMs: 4 },
    ])
  })
})
