// How `profile.mjs --perf` reads perf's report (bench/lib/perf-summary.mjs). Nothing here runs perf.
import { describe, expect, it } from 'vitest'
// (a plain ES module of the bench: bench/ has no types and is not type-checked)
import { kindOf, parseReport } from '../lib/perf-summary.mjs'

describe('perf summary', () => {
  it('reads self rows with their library, including JIT code whose "library" has spaces, and kernel rows', () => {
    const text = [
      '# Samples: 34K of event cpu-clock',
      '#',
      '    11.44%  [kernel.kallsyms]    [k] pvm_irq_enable',
      '     1.29%  better_sqlite3.node  [.] sqlite3VdbeExec',
      '     0.38%  [JIT] tid 6996       [.] JS:*_resume /x/undici/lib/dispatcher/client.js:589:18',
      '',
    ].join('\n')
    expect(parseReport(text, { withDso: true })).toEqual([
      { self: 11.44, dso: '[kernel.kallsyms]', symbol: 'pvm_irq_enable' },
      { self: 1.29, dso: 'better_sqlite3.node', symbol: 'sqlite3VdbeExec' },
      { self: 0.38, dso: '[JIT] tid 6996', symbol: 'JS:*_resume /x/undici/lib/dispatcher/client.js:589:18' },
    ])
  })

  it('reads inclusive rows (children, self)', () => {
    const text = '    18.08%     0.07%  [.] JS:*flush file:///w/packages/stores-sqlite/dist/index.js:299:17\n'
    expect(parseReport(text, { children: true })).toEqual([{ children: 18.08, self: 0.07, symbol: 'JS:*flush file:///w/packages/stores-sqlite/dist/index.js:299:17' }])
  })

  it('sorts symbols into kinds: JS by V8 tier marker, builtins, kernel, native by library', () => {
    expect(kindOf('[JIT] tid 1', 'JS:*serveChat file:///a.js:1:1')).toMatch(/optimised/)
    expect(kindOf('[JIT] tid 1', 'JS:^validate21 file:///a.js:1:1')).toMatch(/baseline/)
    expect(kindOf('[JIT] tid 1', 'JS:~parse file:///a.js:1:1')).toMatch(/interpreted/)
    expect(kindOf('[JIT] tid 1', 'JS:wasm-function[20]-20-liftoff')).toMatch(/other/)
    expect(kindOf('node', 'Builtins_LoadIC')).toMatch(/builtins/)
    expect(kindOf('[kernel.kallsyms]', 'pvm_irq_enable')).toBe('kernel')
    expect(kindOf('libc.so.6', '__libc_pwrite')).toBe('native: libc.so.6')
  })
})
