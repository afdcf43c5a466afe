// What the two cores did while answers were slow: `perf sched timehist` text (recorded with
// `-k CLOCK_MONOTONIC`) turned into run and wait intervals per thread, each thread given a role
// (the target's event loop, its V8 platform threads, the fake, the load generator, the kernel…),
// and the time of each role summed over the intervals in which slow answers were in flight.
// Used by sched.mjs; tested in bench/test/sched-timeline.test.ts.

/**
 * One line of `perf sched timehist`: `time [cpu] comm[tid/pid] wait sch-delay run` (ms; `[tid]`
 * alone for a process's main thread or a kernel thread). The thread ran on `cpu` for `run` ms up to
 * `time` and, before that, waited `delay` ms runnable for a core (`<idle>`: the core was idle). Null
 * for headers and other lines.
 */
export function parseTimehistLine(line) {
  const m = /^\s*([\d.]+)\s+\[(\d+)\]\s+(?:<idle>|(.+?)\[(\d+)(?:\/(\d+))?\])\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)(?:\s+([A-Za-z+]+))?\s*$/.exec(line)
  if (!m) return null
  const endMs = Number(m[1]) * 1000
  const runMs = Number(m[8])
  // A core's idle time is printed as `<idle>`, without a thread id.
  const tid = m[4] === undefined ? 0 : Number(m[4])
  const event = { endMs, startMs: endMs - runMs, cpu: Number(m[2]), comm: m[3] ?? '<idle>', tid, pid: m[5] === undefined ? tid : Number(m[5]), delayMs: Number(m[7]), runMs }
  // With `--state`: the state the thread left the core in (R: preempted, still runnable; S, D: asleep).
  return m[9] === undefined ? event : { ...event, state: m[9] }
}

/**
 * perf's `sch delay` counts from a thread's wake-up only: a thread switched out while runnable
 * (preempted, state R with `timehist --state`) has none, although it waited for a core until it ran
 * again. This gives each run that follows a preemption a delay from the end of the run before it
 * (same thread) to its start, so that every runnable wait is counted. Events in time order per
 * thread; lines without a state are left as they are.
 */
export function withPreemptedWaits(events) {
  const last = new Map()
  return events.map((e) => {
    if (e.comm === '<idle>') return e
    const before = last.get(e.tid)
    last.set(e.tid, e)
    return before?.state === 'R' && e.startMs > before.endMs ? { ...e, delayMs: Math.max(e.delayMs, e.startMs - before.endMs) } : e
  })
}

/**
 * The role of a thread. `processes` maps a pid to a name ('target', 'fake', 'load'); within one of
 * them the main thread is `<name> main` and the others are told apart by their order of creation
 * (Node 20 names every thread "node"): the first five after the main thread are V8's platform
 * (its delayed-task thread and the four workers that run GC and compiler jobs), the rest libuv's
 * pool and worker threads (the SQLite checkpoint worker, the load generator's clock). Kernel
 * threads keep their name without the per-CPU suffix; other processes are grouped by command name.
 */
export function roleOf(event, processes, threadOrder) {
  const name = processes.get(event.pid)
  if (name) {
    if (event.tid === event.pid) return `${name}: main thread`
    const index = threadOrder.get(event.pid)?.indexOf(event.tid) ?? -1
    if (name === 'load') return 'load: other threads (clock)'
    return index >= 1 && index <= 5 ? `${name}: V8 platform threads` : `${name}: other threads`
  }
  if (event.comm === '<idle>') return 'idle'
  return event.comm.replace(/\/\d+$/, '').replace(/:\d+.*$/, '')
}

/** Thread ids of each process of interest in order of creation (ascending tid: Linux hands them out in order here). */
export function threadOrderOf(events, pids) {
  const order = new Map()
  for (const pid of pids) order.set(pid, [...new Set(events.filter((e) => e.pid === pid).map((e) => e.tid))].sort((a, b) => a - b))
  return order
}

/**
 * The stretches of time with a slow answer in flight: each slow answer spans [sent, sent + latency]
 * (ms, on the monotonic clock perf used), and overlapping spans merge.
 */
export function slowIntervals(sentMs, latencyMs, thresholdMs) {
  const spans = []
  for (let i = 0; i < latencyMs.length; i++) if (latencyMs[i] > thresholdMs) spans.push([sentMs[i], sentMs[i] + latencyMs[i]])
  spans.sort((a, b) => a[0] - b[0])
  const merged = []
  for (const s of spans) {
    const last = merged.at(-1)
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1])
    else merged.push([...s])
  }
  return merged
}

const overlap = (a0, a1, b0, b1) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0))

/**
 * Per role, the ms it ran on either core and the ms it waited runnable for one, within `intervals`
 * (sorted, disjoint). Returns { ran: Map, waited: Map, spanMs }.
 */
export function timeByRole(events, intervals, role) {
  const ran = new Map()
  const waited = new Map()
  const add = (map, key, ms) => ms > 0 && map.set(key, (map.get(key) ?? 0) + ms)
  const spanMs = intervals.reduce((sum, [a, b]) => sum + (b - a), 0)
  if (intervals.length === 0) return { ran, waited, spanMs }
  const starts = intervals.map((i) => i[0])
  // The first interval that may overlap [from, to]: binary search on the interval ends.
  const firstEndingAfter = (from) => {
    let lo = 0
    let hi = intervals.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (intervals[mid][1] <= from) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const sumOverlap = (from, to) => {
    let total = 0
    for (let i = firstEndingAfter(from); i < intervals.length && starts[i] < to; i++) total += overlap(from, to, intervals[i][0], intervals[i][1])
    return total
  }
  for (const e of events) {
    const r = role(e)
    add(ran, r, sumOverlap(e.startMs, e.endMs))
    if (e.delayMs > 0) add(waited, r, sumOverlap(e.startMs - e.delayMs, e.startMs))
  }
  return { ran, waited, spanMs }
}

/**
 * A thread (not a core's idle task) that waited at least `minMs` runnable for a core while a core
 * was idle. Two kinds, by where the idle time was:
 * - `stall`: the core the thread then ran on was itself idle while it waited (the hypervisor woke a
 *   halted virtual CPU late, or paused the VM; or that core pulled the thread late from a busy one —
 *   perf's switch records cannot tell these apart);
 * - `queued`: the thread waited on a busy core, behind another thread, and ran there while the
 *   other core idled. The VM is not to blame: the kernel placed the wake-up on the busy core (on
 *   6.x's EEVDF the running thread keeps its slice) and did not move it (nineteenth and twentieth
 *   sessions, bench/README).
 * Returns { kind, startMs, durationMs } from the first to the last idle moment of each such wait.
 * `events`: parsed timehist lines, idle ones included.
 */
export function stallsOf(events, { minMs = 1 } = {}) {
  const idle = runsByCpu(events.filter((e) => e.comm === '<idle>'))
  const stalls = []
  for (const e of events) {
    if (e.comm === '<idle>' || e.delayMs < minMs) continue
    let idleMs = 0
    let ownIdleMs = 0
    let first = Infinity
    let last = -Infinity
    overlapsOf(idle, e.startMs - e.delayMs, e.startMs, (run, a, b) => {
      idleMs += b - a
      if (run.cpu === e.cpu) ownIdleMs += b - a
      first = Math.min(first, a)
      last = Math.max(last, b)
    })
    if (idleMs >= minMs) stalls.push({ kind: 2 * ownIdleMs >= idleMs ? 'stall' : 'queued', startMs: first, durationMs: last - first })
  }
  return stalls
}

/** Runs per core, each core's in time order (the runs of one core do not overlap). */
function runsByCpu(events) {
  const byCpu = new Map()
  for (const e of events) {
    if (!byCpu.has(e.cpu)) byCpu.set(e.cpu, [])
    byCpu.get(e.cpu).push(e)
  }
  for (const list of byCpu.values()) list.sort((a, b) => a.startMs - b.startMs)
  return byCpu
}

/** Calls `each(run, a, b)` for every run of `byCpu` that overlaps [from, to], with the overlap [a, b]. */
function overlapsOf(byCpu, from, to, each) {
  for (const list of byCpu.values()) {
    // Ends are in order too (no overlaps on one core): the first run that ends after `from`.
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid].endMs <= from) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < list.length && list[i].startMs < to; i++) {
      const a = Math.max(from, list[i].startMs)
      const b = Math.min(to, list[i].endMs)
      if (b > a) each(list[i], a, b)
    }
  }
}

/**
 * What a thread waited behind: its waits for a core of at least `minMs` (ms), what ran meanwhile on
 * the core it then ran on (per role, ms) and how long another core was idle meanwhile.
 * Returns { count, totalMs, behind: Map, otherIdleMs }.
 */
export function waitsBehind(events, isWaiter, role, { minMs = 0.2 } = {}) {
  const byCpu = runsByCpu(events)
  const behind = new Map()
  let count = 0
  let totalMs = 0
  let otherIdleMs = 0
  for (const e of events) {
    if (!isWaiter(e) || e.delayMs < minMs) continue
    count++
    totalMs += e.delayMs
    overlapsOf(byCpu, e.startMs - e.delayMs, e.startMs, (run, a, b) => {
      if (run === e) return
      if (run.cpu === e.cpu) behind.set(role(run), (behind.get(role(run)) ?? 0) + b - a)
      else if (run.comm === '<idle>') otherIdleMs += b - a
    })
  }
  return { count, totalMs, behind, otherIdleMs }
}
