import { describe, expect, it } from 'vitest'
import { analyse, busyStretches } from '../lib/busy-spans.mjs'

// A tiny .cpuprofile: root (1) with (idle) (2), a function `work` (3) and `commit` (4) under `flush` (5).
const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' })
const nodes = [
  { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
  { id: 2, callFrame: frame('(idle)') },
  { id: 3, callFrame: frame('work', 'file:///app/work.js') },
  { id: 5, callFrame: frame('flush', 'file:///app/db.js'), children: [4] },
  { id: 4, callFrame: frame('commit', 'file:///app/db.js') },
]
// Samples 100 µs apart: idle, work×3, idle, commit×20 (2 ms), idle×2, work.
const samples = [2, 3, 3, 3, 2, ...Array(20).fill(4), 2, 2, 3]
const profile = { nodes, startTime: 0, endTime: samples.length * 100, samples, timeDeltas: samples.map(() => 100) }

describe('busyStretches', () => {
  it('merges consecutive non-idle samples into one stretch', () => {
    const stretches = busyStretches(profile)
    expect(stretches.map((s: { startUs: number; us: number }) => [s.startUs, s.us])).toEqual([
      [100, 300],
      [500, 2000],
      [2700, 100],
    ])
  })

  it('skips the first microseconds when asked', () => {
    expect(busyStretches(profile, { skipUs: 500 }).map((s: { us: number }) => s.us)).toEqual([2000, 100])
  })
})

describe('analyse', () => {
  it('gives the share of wall time in long stretches and what ran in them', () => {
    const a = analyse(profile, { longUs: 1000 })
    expect(a.count).toBe(3)
    expect(a.busyUs).toBe(2400)
    expect(a.max).toBe(2000)
    expect(a.long).toBe(1)
    expect(a.longUsTotal).toBe(2000)
    expect(a.byLength.find((b: { ms: number }) => b.ms === 1)).toEqual({ ms: 1, count: 1, wallShare: 2000 / 2800 })
    // inside the long stretch: commit's own time, and flush inclusive of it
    expect(a.self.get('commit /app/db.js:1')).toBe(2000)
    expect(a.inclusive.get('flush /app/db.js:1')).toBe(2000)
    expect(a.self.has('work /app/work.js:1')).toBe(false)
  })
})
