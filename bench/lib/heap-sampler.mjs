// Preload (`node --import bench/lib/heap-sampler.mjs …`) for bench/alloc.mjs: V8's sampling heap
// profiler in the gateway's own process, driven by signals so the profile covers the measured load
// only. SIGUSR2 starts sampling; the next SIGUSR2 stops it and writes the profile (JSON of
// `HeapProfiler.SamplingHeapProfile`) to MESH_HEAP_PROFILE, then prints `heap-profile written`.
// MESH_HEAP_SAMPLER: `all` — every allocation, whatever became of it (objects a scavenge or a
// mark-compact collected are kept in the profile); `survivors` — only objects that outlived the young
// generation (collected by a mark-compact, or alive at the end): what a scavenge copies and promotes,
// which is what makes scavenges long and old space grow.
import { Session } from 'node:inspector'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const mode = process.env.MESH_HEAP_SAMPLER ?? 'all'
const interval = Number(process.env.MESH_HEAP_INTERVAL ?? 1024)
const out = process.env.MESH_HEAP_PROFILE
if (!out) throw new Error('heap-sampler: set MESH_HEAP_PROFILE to the file to write')
if (mode !== 'all' && mode !== 'survivors') throw new Error(`heap-sampler: MESH_HEAP_SAMPLER is all or survivors, not ${mode}`)

const session = new Session()
session.connect()
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))))
await post('HeapProfiler.enable')
// `survivors`: before the profile is taken, two scavenges empty the young generation of what is
// already garbage (else up to a semi-space of it, never scavenged yet, would count as surviving).
// A mark-compact also empties the young generation, so the garbage it finds there (up to a
// semi-space of every kind of short-lived object) would count as surviving too: sampling starts
// right after a full GC of its own, and the mark-compacts that come while it runs are counted and
// reported (`heap-profile written, N mark-compacts while sampling`): a profile without any holds what was
// promoted and nothing else. Old space grows ~1 MB/s in full at 1,000 req/s, a mark-compact every
// ~7 s: sample for less than that.
let scavenge = () => {}
let fullGc = () => {}
let majors = 0
if (mode === 'survivors') {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  scavenge = () => {
    gc({ type: 'minor' })
    gc({ type: 'minor' })
  }
  fullGc = () => gc({ type: 'major' })
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
  }).observe({ entryTypes: ['gc'] })
}
let sampling = false
process.on('SIGUSR2', () => {
  const step = sampling
    ? Promise.resolve()
        .then(scavenge)
        .then(() => post('HeapProfiler.stopSampling'))
        .then(({ profile }) => {
          writeFileSync(out, JSON.stringify(profile))
          console.log(`heap-profile written${mode === 'survivors' ? `, ${majors} mark-compacts while sampling` : ''}`)
        })
    : Promise.resolve()
        .then(fullGc)
        // The observer's entries come in a later task: the full GC above is not counted.
        .then(() => new Promise((resolve) => setTimeout(resolve, 10)))
        .then(() => {
          majors = 0
          return post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: mode === 'all' })
        })
        .then(() => console.log('heap-sampling started'))
  sampling = !sampling
  step.catch((error) => console.error(`heap-sampler: ${error.message}`))
})
