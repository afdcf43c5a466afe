// The scheduler timeline of bench/sched.mjs: `perf sched timehist` lines, thread roles, the stretches
// with a slow answer in flight and the time of each role inside them. Nothing here is timed.
import { describe, expect, it } from 'vitest'
// (plain ES modules of the bench: bench/ has no types and is not type-checked)
import { parseTimehistLine, roleOf, slowIntervals, stallsOf, threadOrderOf, timeByRole, waitsBehind, withPreemptedWaits } from '../lib/sched-timeline.mjs'

// As perf 6.x prints it: time [cpu] comm[tid/pid] wait sch-delay run (ms); a main thread has no /pid.
const TIMEHIST = `           time    cpu  task name                       wait time  sch delay   run time
                        [tid/pid]                          (msec)     (msec)     (msec)
--------------- ------  ------------------------------  ---------  ---------  ---------
     647.128534 [0000]  node[6768/6766]                     0.403      0.007      3.979
     647.132536 [0001]  node[6770/6766]                     4.381      3.976      4.001
     647.132539 [0000]  node[6766]                          3.979      0.000      4.005
     647.132582 [0001]  node[6807/6796]                     8.116      7.195      0.045
     647.133000 [0001]  <idle>                              0.000      0.000      0.418
     647.134000 [0000]  kdamond.0[75]                     509.495      0.010      1.000
     647.135000 [0000]  1_scheduler[2987/2960]             89.307      3.410      1.000
     647.136000 [0001]  node[6755]                          1.000      2.000      3.000
`

const events = TIMEHIST.split('\n').map(parseTimehistLine).filter(Boolean)

describe('perf sched timehist lines', () => {
  it('reads run intervals, waits and thread ids, and skips the headers', () => {
    expect(events).toHaveLength(8)
    expect(events[0]).toEqual({ endMs: 647_128.534, startMs: 647_128.534 - 3.979, cpu: 0, comm: 'node', tid: 6768, pid: 6766, delayMs: 0.007, runMs: 3.979 })
    expect(events[2]).toMatchObject({ tid: 6766, pid: 6766, cpu: 0 })
    expect(events[4]).toMatchObject({ comm: '<idle>', tid: 0, pid: 0, runMs: 0.418 })
    expect(events[6]).toMatchObject({ comm: '1_scheduler', tid: 2987, pid: 2960, delayMs: 3.41 })
    expect(parseTimehistLine('  Task | Runtime ms')).toBeNull()
  })

  it('reads the state column of --state, and counts the wait after a preemption, which perf\'s sch delay leaves out', () => {
    // The event loop (6766) preempted at 10.2 s by the fake (6755) woken onto its core, runs again at 10.9999 s.
    const lines = [
      '          10.200 [0001]  node[6766]                          0.300      0.010      0.200      R',
      '          10.900 [0001]  node[6755]                          5.000      0.020      0.700      S',
      '          11.000 [0001]  node[6766]                          0.700      0.000      0.100      S',
      '          12.000 [0001]  node[6766]                          0.900      0.050      0.100      D',
      '          12.050 [0000]  <idle>                              0.000      0.000      0.050',
    ].map(parseTimehistLine)
    expect(lines[0]).toMatchObject({ tid: 6766, state: 'R', delayMs: 0.01 })
    expect(lines[4]).toMatchObject({ comm: '<idle>' })
    expect(lines[4]).not.toHaveProperty('state')
    const counted = withPreemptedWaits(lines)
    // runnable from 10,200 ms to 10,999.9 ms (its run of 0.1 ms ends at 11,000): perf shows 0.000
    expect(counted[2].delayMs).toBeCloseTo(799.9, 6)
    // after a sleep (S) the wake-up's sch delay stays as perf measured it
    expect(counted[3].delayMs).toBeCloseTo(0.05, 9)
    expect(counted[1]).toBe(lines[1])
  })
})

describe('thread roles', () => {
  const processes = new Map([[6766, 'target'], [6755, 'fake'], [6796, 'load']])
  // Threads of the target in order of creation: main, then V8's five, then libuv's pool and workers.
  const more = [6767, 6769, 6771, 6772, 6790].map((tid) => ({ tid, pid: 6766 }))
  const order = threadOrderOf([...events, ...more], processes.keys())
  it('orders each process’s threads by id', () => {
    expect(order.get(6766)).toEqual([6766, 6767, 6768, 6769, 6770, 6771, 6772, 6790])
    expect(order.get(6755)).toEqual([6755])
  })
  it('names the main thread, V8’s platform threads and the others of a process we started', () => {
    const role = (e: object) => roleOf(e, processes, order)
    expect(role({ tid: 6766, pid: 6766, comm: 'node' })).toBe('target: main thread')
    expect(role({ tid: 6768, pid: 6766, comm: 'node' })).toBe('target: V8 platform threads')
    expect(role({ tid: 6771, pid: 6766, comm: 'node' })).toBe('target: V8 platform threads')
    expect(role({ tid: 6772, pid: 6766, comm: 'node' })).toBe('target: other threads')
    expect(role({ tid: 6807, pid: 6796, comm: 'node' })).toBe('load: other threads (clock)')
    expect(role({ tid: 6755, pid: 6755, comm: 'node' })).toBe('fake: main thread')
  })
  it('keeps kernel threads and other processes by name, and idle as idle', () => {
    const role = (e: object) => roleOf(e, processes, order)
    expect(role({ tid: 75, pid: 75, comm: 'kdamond.0' })).toBe('kdamond.0')
    expect(role({ tid: 14, pid: 14, comm: 'ksoftirqd/0' })).toBe('ksoftirqd')
    expect(role({ tid: 2987, pid: 2960, comm: '1_scheduler' })).toBe('1_scheduler')
    expect(role({ tid: 0, pid: 0, comm: '<idle>' })).toBe('idle')
  })
})

describe('slow stretches and the time inside them', () => {
  it('merges overlapping spans of slow answers and leaves fast ones out', () => {
    // sent at 0, 1, 2, 10 ms; latencies 6, 0.4, 7, 6 ms; threshold 5 ms.
    expect(slowIntervals([0, 1, 2, 10], [6, 0.4, 7, 6], 5)).toEqual([[0, 9], [10, 16]])
    expect(slowIntervals([0, 1], [1, 1], 5)).toEqual([])
  })
  it('sums each role’s run and wait time within the intervals only', () => {
    const t0 = 647_124.555
    const role = (e: { tid: number; comm: string }) => (e.comm === '<idle>' ? 'idle' : `${e.comm}:${e.tid}`)
    // One interval over 6768's run (647124.555 … 647128.534) exactly: 6770's run begins just after it,
    // and its wait before (3.976 ms, from 647124.559) falls inside for 3.975 ms.
    const { ran, waited, spanMs } = timeByRole(events, [[t0, t0 + 3.979]], role)
    expect(spanMs).toBeCloseTo(3.979, 9)
    expect(ran.get('node:6768')).toBeCloseTo(3.979, 6)
    expect(ran.has('node:6770')).toBe(false)
    expect(waited.get('node:6770')).toBeCloseTo(3.975, 6)
    // An interval split in two counts each part once.
    const split = timeByRole(events, [[647_132.0, 647_133.0], [647_134.5, 647_135.5]], role)
    expect(split.spanMs).toBeCloseTo(2, 9)
    expect(split.ran.get('node:6766')).toBeCloseTo(0.539, 6)
    expect(split.ran.get('1_scheduler:2987')).toBeCloseTo(0.5, 6)
    expect(split.ran.get('idle')).toBeCloseTo(0.418, 6)
    expect(timeByRole(events, [], role).ran.size).toBe(0)
  })
})

/** One parsed run of a thread (as parseTimehistLine gives it): on `cpu`, ending at `endMs`, after waiting `delayMs`. */
const run = (cpu: number, comm: string, tid: number, endMs: number, runMs: number, delayMs: number, pid = tid) => ({ endMs, startMs: endMs - runMs, cpu, comm, tid, pid, delayMs, runMs })

describe('stallsOf', () => {
  it('finds a thread waiting for a core while a core was idle, and nothing when both cores were busy', () => {
    const events = [
      // core 1 idle from 10 to 20 while the fake (tid 7) waited from 12 to 20: a stall of 8 ms
      run(1, '<idle>', 0, 20, 10, 0),
      run(1, 'node', 7, 21, 1, 8),
      // both cores busy from 30 to 40 while the load generator (tid 9) waited 5 ms: no stall
      run(0, 'node', 5, 40, 10, 0),
      run(1, 'node', 6, 40, 10, 0),
      run(0, 'node', 9, 41, 1, 5),
      // a wait of 0.5 ms beside an idle core: under the threshold
      run(0, '<idle>', 0, 50, 5, 0),
      run(1, 'node', 8, 51, 1, 0.5),
    ]
    expect(stallsOf(events)).toEqual([{ kind: 'stall', startMs: 12, durationMs: 8 }])
    expect(stallsOf(events, { minMs: 0.25 })).toHaveLength(2)
  })

  it('tells a wait beside an idle core on a busy core (queued) from one whose own core was idle (stall)', () => {
    const events = [
      // the event loop (tid 5) waited from 10 to 12 on core 0 behind the worker (tid 6) while core 1 idled
      run(0, 'node', 6, 12, 2.5, 0),
      run(1, '<idle>', 0, 13, 4, 0),
      run(0, 'node', 5, 12.5, 0.5, 2),
      // the fake (tid 7) waited from 20 to 22 with core 1, where it then ran, idle all along
      run(1, '<idle>', 0, 22, 5, 0),
      run(0, 'node', 8, 22, 5, 0),
      run(1, 'node', 7, 22.3, 0.3, 2),
    ]
    expect(stallsOf(events)).toEqual([
      { kind: 'queued', startMs: 10, durationMs: 2 },
      { kind: 'stall', startMs: 20, durationMs: 2 },
    ])
  })

  it('counts only the idle part of a wait', () => {
    // waited 6 ms (from 100 to 106) but a core was idle for 0.8 ms of it: not a stall at 1 ms
    const events = [run(0, 'node', 5, 106, 6, 0), run(1, '<idle>', 0, 104.8, 0.8, 0), run(1, 'node', 7, 107, 1, 6)]
    expect(stallsOf(events)).toEqual([])
  })
})

describe('waitsBehind', () => {
  it('sums what ran on the waiting thread\'s core during its long waits, and the other core\'s idle time', () => {
    const events = [
      // the event loop (tid 5) waited 10 -> 10.6 on core 0: the worker (tid 6) ran 9.8 -> 10.6 there, core 1 idle 10.0 -> 10.4
      run(0, 'node', 6, 10.6, 0.8, 0),
      run(1, '<idle>', 0, 10.4, 1.4, 0),
      run(1, 'node', 7, 10.7, 0.3, 0),
      run(0, 'node', 5, 10.9, 0.3, 0.6),
      // a short wait (0.1 ms) is left out
      run(0, 'node', 6, 20, 1, 0),
      run(0, 'node', 5, 20.5, 0.5, 0.1),
    ]
    const role = (e: { tid: number; comm: string }) => (e.comm === '<idle>' ? 'idle' : e.tid === 5 ? 'main' : e.tid === 6 ? 'worker' : 'other')
    const w = waitsBehind(events, (e: { tid: number }) => e.tid === 5, role, { minMs: 0.2 })
    expect(w.count).toBe(1)
    expect(w.totalMs).toBeCloseTo(0.6, 9)
    expect([...w.behind]).toEqual([['worker', expect.closeTo(0.6, 9)]])
    expect(w.otherIdleMs).toBeCloseTo(0.4, 9)
  })
})
