#!/usr/bin/env node
// Where does `mesh start` spend its memory, and how long does it take to serve?
//
//   node bench/memory.mjs [--config minimal|full|<file>] [--runs 3] [--requests 5] [--breakdown] [--heap]
//                         [--node-arg=--max-semi-space-size=1 ...] [--bin packages/cli/dist/bin.js]
//
// Per run: spawn the fake upstream once, then spawn `mesh start --config … --port …` (BENCH_UPSTREAM
// points at the fake, BENCH_DB at a throw-away SQLite file) and time spawn → first chat completion
// answered 200 (cold start). Then a few JSON chat completions and one SSE stream, one second idle, and
// VmRSS / VmHWM from /proc/PID/status (the idle RSS of bench/run.mjs). A config with auth (full) gets
// an account, credits and a key through the admin API in a preliminary start, as bench/run.mjs does.
// Prints each run and the median.
//
// --breakdown  preloads a tiny module (bench/lib/memory-probe.mjs) that answers SIGHUP with
//              process.memoryUsage(), V8 heap spaces and code statistics, and the ESM modules loaded
//              per package (from the module graph seen by the loader hook) — read after the RSS.
// --heap       runs the gateway with --heapsnapshot-signal=SIGUSR2, takes one snapshot when idle and
//              summarises it: self size per node type / constructor, and script source per package.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { chat, chatBody, freePort, installCleanup, kill, killAll, memoryOf, spawnChild, startFake, waitForLine, waitForReady, waitUntilServing } from './lib/procs.mjs'
import { httpAdmin, provision } from './lib/provision.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = join(BENCH, '..')
const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'minimal' },
    runs: { type: 'string', default: '3' },
    requests: { type: 'string', default: '5' },
    breakdown: { type: 'boolean', default: false },
    heap: { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
    bin: { type: 'string', default: join(ROOT, 'packages/cli/dist/bin.js') },
  },
})
const CONFIGS = { minimal: 'mesh-minimal.config.ts', full: 'mesh-full.config.ts' }
const configFile = CONFIGS[values.config] ? join(BENCH, 'targets', CONFIGS[values.config]) : resolve(values.config)
const withAuth = /full/.test(basename(configFile))
// MB = 10^6 bytes, as the issue-6 goal (idle RSS ≤ 80 MB) and bench/run.mjs count them.
const MB = (bytes) => (bytes / 1e6).toFixed(1)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

installCleanup()
const work = mkdtempSync(join(tmpdir(), 'mesh-memory-'))
const env = { BENCH_DB: join(work, 'mesh.db') }
let headers = { authorization: 'Bearer bench-key' }

function startMesh(port, { breakdown = false, heap = false } = {}) {
  const nodeArgs = [...values['node-arg']]
  if (breakdown) nodeArgs.push('--import', pathToFileURL(join(BENCH, 'lib/memory-probe.mjs')).href)
  if (heap) nodeArgs.push('--heapsnapshot-signal=SIGUSR2')
  return spawnChild('mesh', process.execPath, [...nodeArgs, values.bin, 'start', '--config', configFile, '--port', String(port)], { env, cwd: work })
}

/** Ask the probe (SIGHUP) for its report; it prints one `memory-probe {json}` line on stdout. */
async function probe(child) {
  const line = waitForLine(child, /memory-probe (\{.*\})\n/, 10_000)
  child.kill('SIGHUP')
  return JSON.parse((await line)[1])
}

async function heapSnapshot(child) {
  const before = new Set(readdirSync(work))
  child.kill('SIGUSR2')
  for (let i = 0; i < 600; i++) {
    await sleep(100)
    const file = readdirSync(work).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'))
    if (!file) continue
    // Written as it is serialised (it may stay empty for a while first): wait until it is non-empty,
    // its size has settled for a second and it ends with the JSON's closing brace.
    const path = join(work, file)
    let size = -1
    for (let waited = 0; waited < 120; waited++) {
      const now = statSync(path).size
      if (now > 0 && now === size && readFileSync(path, 'utf8').trimEnd().endsWith('}')) return path
      size = now
      await sleep(1000)
    }
    throw new Error(`heap snapshot ${path} was not finished within two minutes`)
  }
  throw new Error('no heap snapshot written')
}

/** Self size per node type/constructor, and script source strings per package. */
function summariseSnapshot(path, top = 25) {
  const snap = JSON.parse(readFileSync(path, 'utf8'))
  const { node_fields: nf, node_types: [types] } = snap.snapshot.meta
  const N = nf.length
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => nf.indexOf(f))
  const { nodes, strings } = snap
  const byType = new Map()
  const byName = new Map()
  let total = 0
  const add = (map, key, size) => {
    const e = map.get(key) ?? { size: 0, count: 0 }
    e.size += size
    e.count++
    map.set(key, e)
  }
  for (let i = 0; i < nodes.length; i += N) {
    const type = types[nodes[i + iType]]
    const size = nodes[i + iSize]
    total += size
    add(byType, type, size)
    const name = strings[nodes[i + iName]]
    add(byName, type === 'object' || type === 'closure' || type === 'code' || type === 'hidden' ? `${type}: ${name.slice(0, 70)}` : `(${type})`, size)
  }
  // Script sources: every `(script)`-like node retains its source; approximate per package by the
  // script name (code nodes named after functions do not say which file they come from).
  const scripts = new Map()
  for (let i = 0; i < nodes.length; i += N) {
    const type = types[nodes[i + iType]]
    const name = strings[nodes[i + iName]]
    if (type === 'code' && name.startsWith('system / Script')) add(scripts, 'scripts', nodes[i + iSize])
  }
  const sorted = (map) => [...map].sort((a, b) => b[1].size - a[1].size)
  console.log(`\nheap snapshot ${path}: ${MB(total)} MB in ${nodes.length / N} nodes`)
  console.log('  by node type:')
  for (const [k, v] of sorted(byType).slice(0, 12)) console.log(`    ${MB(v.size).padStart(7)} MB  ${String(v.count).padStart(8)}  ${k}`)
  console.log(`  by name (top ${top}):`)
  for (const [k, v] of sorted(byName).slice(0, top)) console.log(`    ${MB(v.size).padStart(7)} MB  ${String(v.count).padStart(8)}  ${k}`)
}

function printBreakdown(p) {
  const m = p.memoryUsage
  console.log(`  process.memoryUsage: rss ${MB(m.rss)} · heapTotal ${MB(m.heapTotal)} · heapUsed ${MB(m.heapUsed)} · external ${MB(m.external)} (arrayBuffers ${MB(m.arrayBuffers)})`)
  console.log(`  heap spaces (size / used MB): ${p.spaces.map((s) => `${s.name.replace('_space', '')} ${MB(s.size)}/${MB(s.used)}`).join(' · ')}`)
  console.log(`  code: code+metadata ${MB(p.code.code_and_metadata_size)} · bytecode+metadata ${MB(p.code.bytecode_and_metadata_size)} · external script source ${MB(p.code.external_script_source_size)}`)
  console.log(`  modules loaded: ${p.modules.total} (${MB(p.modules.bytes)} MB of source); by package:`)
  for (const [pkg, { count, bytes }] of Object.entries(p.modules.byPackage).sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20)) console.log(`    ${MB(bytes).padStart(6)} MB  ${String(count).padStart(4)} files  ${pkg}`)
}

try {
  const { child: fake, port: fakePort } = await startFake()
  env.BENCH_UPSTREAM = `http://127.0.0.1:${fakePort}/v1`
  console.log(`config ${configFile}${values['node-arg'].length ? ` · node ${values['node-arg'].join(' ')}` : ''}`)

  if (withAuth) {
    // Preliminary start: create the account, credits and key (stored in BENCH_DB), as bench/run.mjs does.
    const port = await freePort()
    const mesh = startMesh(port)
    await waitForReady(`http://127.0.0.1:${port}`)
    headers = { authorization: `Bearer ${await provision(httpAdmin(`http://127.0.0.1:${port}`, request))}` }
    const refused = await chat(`http://127.0.0.1:${port}/v1/chat/completions`, chatBody(), {})
    if (refused.status !== 401) throw new Error(`expected 401 without a key, got ${refused.status}`)
    await kill(mesh)
  }

  const runs = []
  const total = Number(values.runs)
  for (let i = 0; i < total; i++) {
    const last = i === total - 1
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/v1/chat/completions`
    const t0 = performance.now()
    const mesh = startMesh(port, { breakdown: values.breakdown && last, heap: values.heap && last })
    try {
      const first = await waitUntilServing(url, chatBody(), headers, 30_000)
      const coldMs = performance.now() - t0
      if (!JSON.parse(first.body).choices?.[0]?.message?.content?.startsWith('You said: Hello bench')) throw new Error(`unexpected answer ${first.body.slice(0, 300)}`)
      for (let r = 1; r < Number(values.requests); r++) {
        const answer = await chat(url, chatBody(), headers)
        if (answer.status !== 200) throw new Error(`chat ${answer.status} ${answer.body.slice(0, 300)}`)
      }
      const stream = await chat(url, chatBody('bench', { stream: true }), headers)
      if (stream.status !== 200 || !stream.body.includes('data: [DONE]')) throw new Error(`stream ${stream.status} ${stream.body.slice(0, 300)}`)
      await sleep(1000)
      const { rss, hwm } = memoryOf(mesh.pid)
      runs.push({ coldMs, rss, hwm })
      console.log(`run ${i + 1}: cold start ${coldMs.toFixed(0)} ms · idle VmRSS ${MB(rss)} MB · VmHWM ${MB(hwm)} MB`)
      if (values.breakdown && last) printBreakdown(await probe(mesh))
      if (values.heap && last) summariseSnapshot(await heapSnapshot(mesh))
    } finally {
      await kill(mesh)
    }
  }
  const pick = (k) => median(runs.map((r) => r[k]))
  console.log(`median of ${runs.length}: cold start ${pick('coldMs').toFixed(0)} ms · idle VmRSS ${MB(pick('rss'))} MB · VmHWM ${MB(pick('hwm'))} MB`)
  console.log(JSON.stringify({ config: basename(configFile), nodeArgs: values['node-arg'], runs, medianColdMs: pick('coldMs'), medianRssBytes: pick('rss'), medianHwmBytes: pick('hwm') }))
} finally {
  await killAll()
  rmSync(work, { recursive: true, force: true })
}
