import { describe, expect, it } from 'vitest'
import * as cli from '../src/index.js'
import { baselineWasm, tuneStartUpHeap } from '../src/start-up-heap.js'

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

describe('the package exports the start-up tuning (for servers that embed the gateway)', () => {
  it('exports what mesh start calls', () => {
    expect(cli.baselineWasm).toBe(baselineWasm)
    expect(cli.tuneStartUpHeap).toBe(tuneStartUpHeap)
  })
})
