#!/usr/bin/env node
// Where a gateway's allocations come from, per request, under open-loop load — with V8's sampling heap
// profiler in the gateway's own process (bench/lib/heap-sampler.mjs, a preload driven by signals).
//   node bench/alloc.mjs [--configs mesh-minimal.config.ts,mesh-full.config.ts] [--roots /other/checkout,...]
//                        [--rate 1000] [--seconds 10] [--warmup 6] [--top 25]
//                        [--survivors]   (only objects that outlived the young generation — what scavenges
//                                         copy and promote — instead of every allocation; sampling starts
//                                         after a full GC, and a mark-compact during it is reported: keep
//                                         --seconds below the interval between two, ~7 s for full)
//                        [--interval 1024] (bytes between samples)
// Prints bytes per answered request: the total, then by the nearest ModelMesh frame (builtins charged to
// the project function that called them) and by allocating frame; with several targets, the rows of
// the first target beside the others'. Sampling is statistical: rows under ~100 B/request move between
// runs. Nothing is written to bench/results/.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, runJsonChild, startFake, waitForLine } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
import { summarizeHeapProfile, topPerRequest } from './lib/heap-profile.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' },
    roots: { type: 'string', default: join(BENCH, '..') },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '6' },
    top: { type: 'string', default: '25' },
    survivors: { type: 'boolean', default: false },
    interval: { type: 'string', default: '1024' },
  },
})
installCleanup()
const dir = mkdtempSync(join(tmpdir(), 'mesh-alloc-'))
const body = JSON.stringify(chatBody())
const rate = Number(values.rate)
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`

try {
  const { child: fake, port: fakePort } = await startFake()
  const roots = values.roots.split(',')
  const results = []
  for (const [r, root] of roots.entries())
    for (const config of values.configs.split(',')) {
      const name = `${config.replace('.config.ts', '')}${roots.length > 1 ? `@${r}` : ''}`
      const profilePath = join(dir, `${results.length}.heapprofile`)
      const env = { MESH_HEAP_PROFILE: profilePath, MESH_HEAP_SAMPLER: values.survivors ? 'survivors' : 'all', MESH_HEAP_INTERVAL: values.interval }
      const g = await startGateway({ root, config, fakePort, dbPath: join(dir, `${results.length}.db`), nodeArgs: ['--import', join(BENCH, 'lib/heap-sampler.mjs')], env })
      // Warm-up at the same rate (JIT tiers, pools, caches, the SQLite worker started), then sample.
      await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { url: g.url, rate, durationS: Number(values.warmup), warmupS: 0, connections: 64, body, headers: g.headers })
      const started = waitForLine(g.child, /heap-sampling started/)
      g.child.kill('SIGUSR2')
      await started
      const run = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { url: g.url, rate, durationS: Number(values.seconds), warmupS: 0, connections: 64, body, headers: g.headers })
      const written = waitForLine(g.child, /heap-profile written(?:, (\d+) mark-compacts while sampling)?\n/, 60_000)
      g.child.kill('SIGUSR2')
      const marks = (await written)[1]
      await kill(g.child)
      const requests = run.sent - (run.unfinished ?? 0)
      const summary = summarizeHeapProfile(JSON.parse(readFileSync(profilePath, 'utf8')))
      results.push({ name, requests, ...summary })
      console.log(`${name}: ${requests} requests answered (${Math.round(run.completedRate)}/s), ${kb(summary.totalBytes / requests)} ${values.survivors ? 'outlived the young generation' : 'allocated'} per request${marks === undefined ? '' : `; ${marks} mark-compacts while sampling${marks === '0' ? '' : ' (their young-generation garbage counts too: sample for fewer seconds)'}`}`)
    }
  await kill(fake)
  const [first, ...others] = results
  const table = (title, key) => {
    console.log(`\n${title} (bytes per request${others.length ? `; columns: ${results.map((x) => x.name).join(' | ')}` : ''}):`)
    const frames = new Set(results.flatMap((x) => topPerRequest(x[key], x.requests, Number(values.top)).map(([frame]) => frame)))
    const rows = [...frames].map((frame) => [frame, results.map((x) => (x[key].get(frame) ?? 0) / x.requests)])
    // Sorted by the last target's figure (with two targets: where the second allocates most).
    rows.sort((a, b) => b[1].at(-1) - a[1].at(-1))
    for (const [frame, perTarget] of rows.slice(0, Number(values.top))) console.log(`${perTarget.map((b) => Math.round(b).toString().padStart(7)).join(' ')}  ${frame}`)
  }
  table('by nearest ModelMesh frame', 'byOwn')
  table('by allocating frame', 'bySelf')
  if (others.length) console.log(`\ntotal per request: ${results.map((x) => `${x.name} ${kb(x.totalBytes / x.requests)}`).join(', ')} (first: ${first.name})`)
} finally {
  await killAll()
  rmSync(dir, { recursive: true, force: true })
}
