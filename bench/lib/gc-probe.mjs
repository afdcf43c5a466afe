// Preload (`node --import bench/lib/gc-probe.mjs ...`) for bench/gcslow.mjs: every garbage collection
// of the main thread's heap, as a line on stdout as it is reported: `gc <kind> <start> <duration>`,
// kind scavenge | minor-mc | mark-compact | incremental | weak-callbacks, start on CLOCK_MONOTONIC in
// ms (the clock of the load generator's `sentTimes`), duration in ms. A scavenge and a mark-compact's
// final pause stop the event loop for their duration; "incremental" is a marking step on it.
import { constants, performance, PerformanceObserver } from 'node:perf_hooks'

const KINDS = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak-callbacks'],
])
const monotonicOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now()
new PerformanceObserver((list) => {
  let lines = ''
  for (const entry of list.getEntries()) lines += `gc ${KINDS.get(entry.detail?.kind) ?? 'other'} ${(entry.startTime + monotonicOffsetMs).toFixed(3)} ${entry.duration.toFixed(3)}\n`
  process.stdout.write(lines)
}).observe({ entryTypes: ['gc'] })
