// Preload (`node --import bench/lib/old-space-probe.mjs …`) for bench/oldgen.mjs: once a second, the
// bytes in use in V8's old space and the mark-compacts so far, as a line on stdout
// (`old-space <bytes> <mark-compacts>`). Old space grows by what scavenges promote and by what is
// made there directly (a new table of a long-lived Map, say) until a mark-compact; how fast it grows
// says how often mark-compacts come, and their marking is what V8's threads do during full's slow
// answers at 1,000 req/s (bench/README, "Where the p99 comes from").
import { getHeapSpaceStatistics } from 'node:v8'
import { constants, PerformanceObserver } from 'node:perf_hooks'

let marks = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) marks++
}).observe({ entryTypes: ['gc'] })
const oldSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0
setInterval(() => console.log(`old-space ${oldSpace()} ${marks}`), 1000).unref()
