// What one open SSE stream costs a gateway process: a smaller, quicker companion of the 10,000-stream
// scenario of run.mjs, for finding where the memory goes.
//
//   node bench/streams-memory.mjs [--target mesh|bare] [--config mesh-full.config.ts] [--streams 1000]
//                                 [--steps 2] [--rate 500] [--snapshot] [--hold S] [--profile-open] [--timeline] [--node-arg=... ...]
//
// Starts the fake upstream (one chunk a second, streams long enough to outlast the run), then the
// target over h2c exactly as run.mjs does (targets/mesh-h2c.mjs with --provision, or bare-proxy.mjs
// --h2c) with lib/stream-probe.mjs preloaded. It opens `--streams` more streams per step from this
// process and, once every one of them has its first event, reads RSS / VmHWM / heap before and after
// a full GC. The difference between steps divided by the streams added is the cost per open stream:
// "retained" (after GC) is what the streams keep alive, "rss" also counts the garbage they make.
// --snapshot takes a heap snapshot at every step and prints the per-stream difference by constructor.
// --hold S keeps the streams open S more seconds and samples the allocations meanwhile (per relayed
// chunk); --profile-open samples while the first step is opened (per stream). Sampling counts what
// outlived the young generation, or everything with STREAM_PROBE_ALL_ALLOCATIONS=1.
// --timeline: one step of run.mjs's ~19 s streams, RSS/heap every second until they have ended.
// STREAMS_MEMORY_KEEP=1 keeps the snapshots, STREAMS_MEMORY_DEBUG=1 prints the target's output.
import http2 from 'node:http2'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { chatBody, freePort, installCleanup, kill, killAll, memoryOf, spawnChild, startFake, waitForLine } from './lib/procs.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'mesh' },
    config: { type: 'string', default: 'mesh-full.config.ts' },
    streams: { type: 'string', default: '1000' },
    steps: { type: 'string', default: '2' },
    rate: { type: 'string', default: '500' },
    snapshot: { type: 'boolean', default: false },
    // Streams as in run.mjs (~19 s each) and RSS sampled every 250 ms until all have ended.
    timeline: { type: 'boolean', default: false },
    // After the last step, wait this many seconds and probe again (same streams, more chunks relayed).
    hold: { type: 'string', default: '0' },
    // Sample what outlives the young generation while the streams of the first step are opened.
    'profile-open': { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
})
const perStep = Number(values.streams)
// Passed on to the target's probe: count short-lived allocations too.
const ALL = process.env.STREAM_PROBE_ALL_ALLOCATIONS === '1'
const steps = Number(values.steps)
const work = mkdtempSync(join(os.tmpdir(), 'mesh-streams-mem-'))
installCleanup()

const KiB = (bytes) => (bytes / 1024).toFixed(1)
const MiB = (bytes) => (bytes / 2 ** 20).toFixed(1)

const { child: fake, port: fakePort } = await startFake('fake', JSON.stringify({ chunkDelayMs: 1000, chunkSize: 5, reply: 'x'.repeat(values.timeline ? 75 : 1000) }))
const port = await freePort()
const nodeArgs = ['--expose-gc', '--import', join(BENCH, 'lib/stream-probe.mjs'), ...values['node-arg']]
const target =
  values.target === 'bare'
    ? spawnChild('bare h2c', process.execPath, [...nodeArgs, join(BENCH, 'targets/bare-proxy.mjs'), String(port), `http://127.0.0.1:${fakePort}`, '--h2c'], { cwd: work })
    : spawnChild('mesh h2c', process.execPath, [...nodeArgs, join(BENCH, 'targets/mesh-h2c.mjs'), join(BENCH, 'targets', values.config), String(port), ...(values.config.includes('full') ? ['--provision'] : [])], {
        cwd: work,
        env: { BENCH_UPSTREAM: `http://127.0.0.1:${fakePort}/v1`, BENCH_DB: join(work, 'streams.db') },
      })
await waitForLine(target, /ready (\d+)/, 30_000)
const key = /key (\S+)/.exec(target.output)?.[1] ?? 'bench-key'
const model = values.target === 'bare' ? 'gpt-4o-mini' : 'bench'
const body = JSON.stringify(chatBody(model, { stream: true }))

// The same client as load/streams.mjs: 100 streams per h2c session.
const sessions = []
let opened = 0
let firstSeen = 0
let failed = 0
let ended = 0
let firstError
function openStream() {
  const index = opened++
  if (index % 100 === 0) {
    const session = http2.connect(`http://127.0.0.1:${port}`, { peerMaxConcurrentStreams: 10_000 })
    session.on('error', () => {})
    sessions.push(session)
  }
  const req = sessions[Math.floor(index / 100)].request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json', authorization: `Bearer ${key}` })
  let first = true
  req.on('response', (headers) => {
    if (headers[':status'] !== 200) {
      failed++
      firstError ??= `status ${headers[':status']}`
    }
  })
  req.on('data', () => {
    if (first) firstSeen++
    first = false
  })
  req.on('end', () => ended++)
  req.on('error', (error) => {
    failed++
    firstError ??= error.message
  })
  req.end(body)
}

async function probe() {
  const line = waitForLine(target, /stream-probe (\{.*\})\n/, 30_000)
  target.kill('SIGHUP')
  return JSON.parse((await line)[1])
}

/** Stops the allocation sampling started by a first SIGURG and prints it per `unit`. */
async function printAllocations(title, units) {
  const alloc = waitForLine(target, /stream-probe-alloc (\[.*\])\n/, 30_000)
  target.kill('SIGURG')
  const sites = JSON.parse((await alloc)[1])
  console.log(`  ${title}`)
  for (const [site, bytes] of sites) console.log(`    ${(bytes / units).toFixed(0).padStart(6)} B  ${site}`)
}

async function snapshot() {
  const line = waitForLine(target, /stream-probe-snapshot (\S+)\n/, 300_000)
  target.kill('SIGUSR2')
  return join(work, (await line)[1])
}

/** Self size and count per node type/constructor. */
function summarise(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'))
  if (process.env.STREAMS_MEMORY_KEEP) console.log(`  kept ${path}`)
  else rmSync(path)
  const { node_fields: nf, node_types: [types] } = snap.snapshot.meta
  const N = nf.length
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => nf.indexOf(f))
  const { nodes, strings } = snap
  const byName = new Map()
  for (let i = 0; i < nodes.length; i += N) {
    const type = types[nodes[i + iType]]
    const name = strings[nodes[i + iName]]
    const key = ['object', 'closure', 'hidden', 'native', 'array', 'object shape'].includes(type) ? `${type}: ${name.slice(0, 60)}` : `(${type})`
    const e = byName.get(key) ?? { size: 0, count: 0 }
    e.size += nodes[i + iSize]
    e.count++
    byName.set(key, e)
  }
  return byName
}

function diffSnapshots(a, b, streams, top = 40) {
  const rows = []
  for (const [k, v] of b) {
    const w = a.get(k) ?? { size: 0, count: 0 }
    rows.push({ k, size: (v.size - w.size) / streams, count: (v.count - w.count) / streams })
  }
  rows.sort((x, y) => Math.abs(y.size) - Math.abs(x.size))
  const total = rows.reduce((s, r) => s + r.size, 0)
  console.log(`  heap snapshot difference per stream: ${total.toFixed(0)} B (top ${top} by size: bytes, objects per stream)`)
  for (const r of rows.slice(0, top)) console.log(`    ${r.size.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(7)}  ${r.k}`)
}

async function timeline() {
  const samples = []
  let heap = {}
  target.stdout.on('data', (chunk) => {
    const m = /stream-probe-nogc (\{.*\})/.exec(chunk.toString())
    if (m) heap = JSON.parse(m[1])
  })
  const sampler = setInterval(() => {
    const { rss, hwm } = memoryOf(target.pid)
    samples.push({ t: Date.now(), rss, hwm, opened, firstSeen, ended, ...heap })
    target.kill('SIGWINCH')
  }, 250)
  const start = Date.now()
  while (opened < perStep) {
    const due = start + (opened * 1000) / Number(values.rate)
    if (due > Date.now()) await sleep(due - Date.now())
    openStream()
  }
  while (ended + failed < perStep) await sleep(250)
  clearInterval(sampler)
  for (const s of samples.filter((_, i) => i % 4 === 0)) console.log(`  ${((s.t - start) / 1000).toFixed(1).padStart(5)} s  rss ${MiB(s.rss).padStart(7)} MiB  heap ${MiB(s.heapUsed ?? 0).padStart(6)}/${MiB(s.heapTotal ?? 0).padStart(6)}  external ${MiB(s.external ?? 0).padStart(5)}  opened ${s.opened} first ${s.firstSeen} ended ${s.ended}`)
  const peak = Math.max(...samples.map((s) => s.hwm))
  console.log(`  peak (VmHWM) ${MiB(peak)} MiB with ${perStep} streams, failed ${failed}${firstError ? `: ${firstError}` : ''}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
}

async function stepwise() {
  const points = [{ streams: 0, ...(await probe()), heap: values.snapshot ? summarise(await snapshot()) : undefined }]
  console.log(`${values.target === 'bare' ? 'bare proxy' : `ModelMesh (${values.config})`}, ${perStep} streams per step; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  for (let step = 1; step <= steps; step++) {
    const goal = step * perStep
    const start = Date.now()
    if (values['profile-open'] && step === 1) target.kill('SIGURG')
    while (opened < goal) {
      const due = start + ((opened - (goal - perStep)) * 1000) / Number(values.rate)
      if (due > Date.now()) await sleep(due - Date.now())
      openStream()
    }
    while (firstSeen + failed < goal) await sleep(100)
    await sleep(2000)
    if (values['profile-open'] && step === 1) await printAllocations(`allocated while opening ${perStep} streams${ALL ? '' : ' and outliving the young generation'} (sampled), per stream:`, perStep)
    const p = await probe()
    const point = { streams: goal, ...p, heap: values.snapshot ? summarise(await snapshot()) : undefined }
    const prev = points.at(-1)
    points.push(point)
    const per = (f) => KiB((f(point) - f(prev)) / perStep)
    console.log(
      `  ${goal} open (failed ${failed}${firstError ? `: ${firstError}` : ''}): rss ${MiB(p.before.rss)} MiB, hwm ${MiB(p.before.hwm)} MiB, heapUsed ${MiB(p.before.heapUsed)} → ${MiB(p.after.heapUsed)} MiB after GC, external ${MiB(p.after.external)} MiB`,
    )
    console.log(`    per stream added: rss ${per((x) => x.before.rss)} KiB · hwm ${per((x) => x.before.hwm)} · heapUsed ${per((x) => x.before.heapUsed)} · retained heap ${per((x) => x.after.heapUsed)} · external ${per((x) => x.after.external)} · rss after GC ${per((x) => x.after.rss)}`)
    if (values.snapshot) diffSnapshots(prev.heap, point.heap, perStep)
  }
  if (Number(values.hold) > 0) {
    target.kill('SIGURG')
    await sleep(Number(values.hold) * 1000)
    await printAllocations(`allocated while holding${ALL ? '' : ' and outliving the young generation'} (sampled), per relayed chunk (~1/s per stream):`, perStep * steps * Number(values.hold))
    const p = await probe()
    console.log(`  ${values.hold} s later: rss ${MiB(p.before.rss)} MiB, hwm ${MiB(p.before.hwm)} MiB, heapUsed ${MiB(p.before.heapUsed)} → ${MiB(p.after.heapUsed)} MiB after GC, rss after GC ${MiB(p.after.rss)} MiB`)
  }
  if (process.env.STREAMS_MEMORY_DEBUG) console.log(target.output)
  console.log(`  load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
}

try {
  await (values.timeline ? timeline() : stepwise())
} finally {
  for (const session of sessions) session.destroy()
  await kill(target)
  await kill(fake)
  await killAll()
  if (!process.env.STREAMS_MEMORY_KEEP) rmSync(work, { recursive: true, force: true })
}
