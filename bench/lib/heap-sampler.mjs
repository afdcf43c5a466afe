// Preload (`node --import bench/lib/heap-sampler.mjs …`) for bench/alloc.mjs: V8's sampling heap
// profiler in the gateway's own process, driven by signals so the profile covers the measured load
// only. SIGUSR2 starts sampling; the next SIGUSR2 stops it and writes the profile (JSON of
// `HeapProfiler.SamplingHeapProfile`) to MESH_HEAP_PROFILE, then prints `heap-profile written`.
// MESH_HEAP_SAMPLER: `all` — every allocation, whatever became of it (objects a scavenge or a
// mark-compact collected are kept in the profile); `survivors` — only objects that outlived the young
// generation (collected by a mark-compact, or alive at the end): what a scavenge copies and promotes,
// which is what makes scavenges long and old space grow.
import { Session } from 'node:inspector'
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
let scavenge = () => {}
if (mode === 'survivors') {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  scavenge = () => {
    gc({ type: 'minor' })
    gc({ type: 'minor' })
  }
}
let sampling = false
process.on('SIGUSR2', () => {
  const step = sampling
    ? Promise.resolve()
        .then(scavenge)
        .then(() => post('HeapProfiler.stopSampling'))
        .then(({ profile }) => {
          writeFileSync(out, JSON.stringify(profile))
          console.log('heap-profile written')
        })
    : post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: mode === 'all' }).then(() =>
        console.log('heap-sampling started'),
      )
  sampling = !sampling
  step.catch((error) => console.error(`heap-sampler: ${error.message}`))
})
