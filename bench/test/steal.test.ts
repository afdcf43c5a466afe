// The hypervisor's steal as the bench reads it (bench/lib/procs.mjs) and keeps it per round
// (bench/lib/open-loop-stats.mjs). Nothing here is timed.
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
// (plain ES modules of the bench: bench/ has no types and is not type-checked)
import { mergeRounds } from '../lib/open-loop-stats.mjs'
import { stealMeter, stealMs, stealPercent } from '../lib/procs.mjs'

// /proc/stat as this VM kind prints it: user nice system idle iowait irq softirq steal guest guest_nice.
const PROC_STAT = `cpu  106906 0 15590 569646 775 0 3267 2732 0 0
cpu0 47151 0 7046 291508 130 0 1605 1408 0 0
cpu1 59755 0 8544 278137 645 0 1661 1323 0 0
intr 123456 0 9
`

describe('hypervisor steal', () => {
  it('reads the steal column of the all-CPU line in ms (100 ticks/s)', () => {
    expect(stealMs(PROC_STAT)).toBe(27_320)
    expect(stealMs('cpu  1 2 3 4 5 6 7\n')).toBe(0)
    expect(() => stealMs('intr 1\n')).toThrow(/no cpu line/)
    // The machine's own /proc/stat parses to a number.
    expect(Number.isFinite(stealMs())).toBe(true)
  })
  it('gives steal as a share of all the VM’s cores, and meters it from a start', () => {
    expect(stealPercent(10 * availableParallelism(), 1_000)).toBe(1)
    const since = stealMeter()()
    expect(since.stolenMs).toBeGreaterThanOrEqual(0)
    expect(since.wallMs).toBeGreaterThanOrEqual(0)
  })
  it('keeps each round’s steal next to its percentiles', () => {
    const run = (stealPercent?: number) => ({ sent: 2, achievedRate: 1000, completedRate: 990, unfinished: 0, errors: 0, non2xx: 0, latencyMs: { p50: 1, p99: 2 }, pacing: { mode: 'clock', sentAlone: 1, largestBurst: 1 }, raw: { latency: [1000, 2000] }, ...(stealPercent === undefined ? {} : { stealPercent }) })
    expect(mergeRounds([run(1.5), run(0)]).rounds.map((r: { stealPercent?: number }) => r.stealPercent)).toEqual([1.5, 0])
    expect('stealPercent' in mergeRounds([run()]).rounds[0]).toBe(false)
  })
})
