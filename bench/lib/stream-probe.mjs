// Preloaded by `bench/streams-memory.mjs` into the target (node --expose-gc --import). On SIGHUP prints
// one line `stream-probe {json}`: RSS and heap before and after a full GC, so the orchestrator can
// tell what open streams retain (after GC) from the garbage they make (before it). On SIGUSR2 writes
// a heap snapshot (after a GC) into the working directory and prints `stream-probe-snapshot <file>`.
// Also SIGWINCH (a sample without GC) and SIGURG (allocation sampling), below.
import { readFileSync } from 'node:fs'
import v8 from 'node:v8'

function sample() {
  const m = process.memoryUsage()
  const status = readFileSync('/proc/self/status', 'utf8')
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024
  return { rss: m.rss, hwm: kib('VmHWM'), heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

process.on('SIGHUP', () => {
  const before = sample()
  globalThis.gc?.()
  const after = sample()
  process.stdout.write(`stream-probe ${JSON.stringify({ before, after })}\n`)
})

// SIGWINCH: the same sample without a GC (for a timeline).
process.on('SIGWINCH', () => process.stdout.write(`stream-probe-nogc ${JSON.stringify(sample())}\n`))

process.on('SIGUSR2', () => {
  globalThis.gc?.()
  const file = v8.writeHeapSnapshot()
  process.stdout.write(`stream-probe-snapshot ${file}\n`)
})

// SIGURG toggles V8's sampling heap profiler, counting also what a full GC has already freed but not
// what died young: what is left is what outlived the young generation (the garbage that makes the
// old generation grow, and what is still alive when sampling stops: count only long windows) (STREAM_PROBE_ALL_ALLOCATIONS=1 counts everything allocated). The second
// SIGURG prints `stream-probe-alloc {json}`: sampled bytes by allocating function (file:line), top 30.
let sampling
process.on('SIGURG', async () => {
  const { Session } = await import('node:inspector')
  const post = (session, method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))))
  if (!sampling) {
    sampling = new Session()
    sampling.connect()
    await post(sampling, 'HeapProfiler.enable')
    await post(sampling, 'HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.STREAM_PROBE_ALL_ALLOCATIONS === '1' })
    return
  }
  const { profile } = await post(sampling, 'HeapProfiler.stopSampling')
  sampling.disconnect()
  sampling = undefined
  const sites = new Map()
  const walk = (node) => {
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|packages)\//, '')}:${f.lineNumber + 1}`
    sites.set(key, (sites.get(key) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 30)
  process.stdout.write(`stream-probe-alloc ${JSON.stringify(top)}\n`)
})
