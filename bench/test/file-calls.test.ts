import { describe, expect, it } from 'vitest'
import { parseFileCalls } from '../lib/file-calls.mjs'

describe('parseFileCalls (bench/filecalls.mjs)', () => {
  it('joins the three maps bpftrace prints into one row per thread kind and call, the event loop first, longest first', () => {
    const text = [
      'Attaching 15 probes...',
      '',
      '@n[other, tracepoint:syscalls:sys_enter_fsync]: 106',
      '@n[main, tracepoint:syscalls:sys_enter_write]: 8799',
      '@n[main, tracepoint:syscalls:sys_enter_fsync]: 8',
      '@over[main, tracepoint:syscalls:sys_enter_fsync]: 8',
      '@over[other, tracepoint:syscalls:sys_enter_fsync]: 105',
      '@us[main, tracepoint:syscalls:sys_enter_write]: 74700',
      '@us[main, tracepoint:syscalls:sys_enter_fsync]: 5178',
      '@us[other, tracepoint:syscalls:sys_enter_fsync]: 184058',
      '@start[12345]: 99',
    ].join('\n')
    expect(parseFileCalls(text)).toEqual([
      { who: 'main', call: 'write', n: 8799, us: 74700, over: 0 },
      { who: 'main', call: 'fsync', n: 8, us: 5178, over: 8 },
      { who: 'other', call: 'fsync', n: 106, us: 184058, over: 105 },
    ])
  })

  it('returns nothing for output without the maps (bpftrace failed to attach)', () => {
    expect(parseFileCalls('ERROR: could not attach\n')).toEqual([])
  })
})
