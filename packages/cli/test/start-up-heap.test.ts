import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import * as cli from '../src/index.js'
import { baselineWasm, quickerTierUp, serialScavengeOnSmallHosts, SERVING_INTERRUPT_BUDGET, tuneStartUpHeap } from '../src/start-up-heap.js'

// What the flag saves (VmHWM 115 → 80 MB, no ~8 MB idle-RSS mode) is measured by bench/memory.mjs,
// not here: CI times and weighs nothing.
describe('baselineWasm (mesh start / mesh dev)', () => {
  it("leaves V8's default when the user passed any wasm or Liftoff flag, or MESH_LIFTOFF_ONLY=0", () => {
    for (const given of ['--no-liftoff-only', '--liftoff-only', '--wasm-tier-up', '--max-old-space-size=512 --no-wasm-lazy-compilation', '--turbofan']) {
      expect(baselineWasm(given, {}), given).toBe(false)
    }
    expect(baselineWasm('', { MESH_LIFTOFF_ONLY: '0' }), 'MESH_LIFTOFF_ONLY=0').toBe(false)
  })

  it('sets --liftoff-only otherwise (in this test worker: it only changes how later wasm compiles)', () => {
    expect(baselineWasm('--max-old-space-size=512', { MESH_LIFTOFF_ONLY: '1' })).toBe(true)
    // The flag took: V8 now refuses nothing and a module still compiles and runs.
    const module = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11]))
    const instance = new WebAssembly.Instance(module) as unknown as { exports: { f(): number } }
    expect(instance.exports.f()).toBe(42)
  })
})

describe('quickerTierUp (mesh start / mesh dev, once listening)', () => {
  it("leaves V8's default when the user passed an interrupt-budget or ticks flag, or MESH_INTERRUPT_BUDGET=0 (or not a positive integer)", () => {
    for (const given of ['--interrupt-budget=100000', '--interrupt_budget=5', '--ticks-before-optimization=2']) expect(quickerTierUp(given, {}), given).toBeUndefined()
    for (const value of ['0', '-5', 'fast', '1.5']) expect(quickerTierUp('', { MESH_INTERRUPT_BUDGET: value }), value).toBeUndefined()
  })

  it('sets a quarter of the default budget, or the one asked for', () => {
    expect(quickerTierUp('--max-old-space-size=512', {})).toBe(SERVING_INTERRUPT_BUDGET)
    expect(quickerTierUp('', { MESH_INTERRUPT_BUDGET: '32768' })).toBe(32_768)
  })

  it('takes effect when set at run time: a hot function is optimised after fewer calls', () => {
    // A child process (natives syntax, optimisation on the main thread so the count is exact).
    const script = `
      const { setFlagsFromString } = require('node:v8')
      if (process.argv[1]) setFlagsFromString('--interrupt-budget=' + process.argv[1])
      function hot(a) { let s = 0; for (let i = 0; i < 10; i++) s += a * i; return s }
      let calls = 0
      while (calls < 1e6) { hot(calls); calls++; if (%GetOptimizationStatus(hot) & 16) break }
      console.log(calls)`
    const callsUntilOptimised = (budget?: number) =>
      Number(execFileSync(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', '-e', script, ...(budget ? [String(budget)] : [])], { encoding: 'utf8' }).trim())
    const byDefault = callsUntilOptimised()
    const quicker = callsUntilOptimised(SERVING_INTERRUPT_BUDGET)
    expect(quicker).toBeGreaterThan(0)
    expect(byDefault).toBeLessThan(1e6)
    expect(quicker * 2).toBeLessThan(byDefault)
  })
})

describe('serialScavengeOnSmallHosts (mesh start / mesh dev, once listening)', () => {
  it("leaves V8's default on more than two cores, with MESH_PARALLEL_SCAVENGE=1, or when the user passed a scavenge or single-threaded-GC flag", () => {
    expect(serialScavengeOnSmallHosts('', {}, 4)).toBe(false)
    expect(serialScavengeOnSmallHosts('', { MESH_PARALLEL_SCAVENGE: '1' }, 2)).toBe(false)
    for (const given of ['--parallel-scavenge', '--no-parallel-scavenge', '--max-old-space-size=512 --scavenge-task-trigger=50', '--single-threaded-gc', '--single_threaded_gc'])
      expect(serialScavengeOnSmallHosts(given, {}, 2), given).toBe(false)
  })

  it('sets it on one or two cores', () => {
    expect(serialScavengeOnSmallHosts('--max-old-space-size=512', {}, 2)).toBe(true)
    expect(serialScavengeOnSmallHosts('', { MESH_PARALLEL_SCAVENGE: '0' }, 1)).toBe(true)
  })

  it("takes effect when set at run time: V8's helper threads do no scavenging work after it", () => {
    // A child process that allocates short-lived objects and keeps some across scavenges; V8's
    // --trace-gc-nvp line of each scavenge gives the helper threads' share (background.scavenge.parallel, ms).
    const script = `
      if (process.argv[1] === 'serial') require('node:v8').setFlagsFromString('--no-parallel-scavenge')
      let keep = []
      for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20000) keep = [] }`
    const helpersMs = (mode: string) => {
      const trace = execFileSync(process.execPath, ['--trace-gc-nvp', '--v8-pool-size=2', '-e', script, mode], { encoding: 'utf8' })
      const shares = [...trace.matchAll(/background\.scavenge\.parallel=([\d.]+)/g)].map((m) => Number(m[1]))
      expect(shares.length, mode).toBeGreaterThan(5)
      return shares.reduce((a, b) => a + b, 0)
    }
    expect(helpersMs('parallel')).toBeGreaterThan(0)
    expect(helpersMs('serial')).toBe(0)
  })
})

describe('the package exports the start-up tuning (for servers that embed the gateway)', () => {
  it('exports what mesh start calls', () => {
    expect(cli.baselineWasm).toBe(baselineWasm)
    expect(cli.quickerTierUp).toBe(quickerTierUp)
    expect(cli.serialScavengeOnSmallHosts).toBe(serialScavengeOnSmallHosts)
    expect(cli.tuneStartUpHeap).toBe(tuneStartUpHeap)
  })
})
