#!/usr/bin/env node
// Profile a ModelMesh target under closed-loop load and print where its CPU time goes.
//   node bench/profile.mjs [--config mesh-full.config.ts] [--connections 100] [--seconds 10] [--stream] [--no-provision]
//                          [--rate 800]   (open loop at this many requests/s instead of wrk's closed loop: compares
//                                          configs at the same rate, where per-request costs are comparable)
//                          [--interval 1000]  (µs between the profiler's samples; 50–100 for a lone request's path)
//                          [--perf]  (instead of V8's profiler: `perf record -g` of the whole process — kernel, SQLite,
//                                     V8's builtins and JS by tier — with `--perf-basic-prof`; needs linux-perf)
// A config with auth (mesh-full) gets an account, credits and a virtual key through the admin API first.
// Writes the .cpuprofile to bench/results/profiles/ (open it in Chrome DevTools → Performance), or with
// --perf a perf.data file there (`perf report -i <file>`; `node bench/lib/perf-summary.mjs <file>`).
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, runJsonChild, startFake } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
import { summarize } from './lib/cpuprofile.mjs'
import { summarizePerf } from './lib/perf-summary.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { config: { type: 'string', default: 'mesh-full.config.ts' }, connections: { type: 'string', default: '100' }, seconds: { type: 'string', default: '10' }, stream: { type: 'boolean', default: false }, 'no-provision': { type: 'boolean', default: false }, rate: { type: 'string' }, interval: { type: 'string', default: '1000' }, perf: { type: 'boolean', default: false } } })
installCleanup()
const dir = join(BENCH, 'results/profiles')
mkdirSync(dir, { recursive: true })
const before = new Set(readdirSync(dir))
const dbDir = mkdtempSync(join(tmpdir(), 'mesh-profile-db-'))
try {
  const { child: fake, port: fakePort } = await startFake()
  const nodeArgs = values.perf ? ['--perf-basic-prof'] : ['--cpu-prof', '--cpu-prof-interval', values.interval, '--cpu-prof-dir', dir]
  const { child: mesh, url, headers } = await startGateway({ config: values.config, fakePort, dbPath: join(dbDir, 'profile.db'), nodeArgs, provisionKey: values.config.includes('full') && !values['no-provision'] })
  const body = JSON.stringify(chatBody('bench', values.stream ? { stream: true } : {}))
  let perf
  const perfFile = join(dir, `perf-${values.config.replace(/\.config\.ts$/, '')}-${Date.now()}.data`)
  if (values.perf) {
    // A second of warm-up first, so the profile is of tiered-up code.
    await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { url, rate: Number(values.rate ?? 500), durationS: 2, warmupS: 0, connections: 64, stream: values.stream, body, headers })
    perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '4999', '-g', '-p', String(mesh.pid), '-o', perfFile], { stdio: 'ignore' })
    perf.exited = new Promise((resolve) => perf.once('exit', resolve))
  }
  if (values.rate) {
    const r = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { url, rate: Number(values.rate), durationS: Number(values.seconds), warmupS: 0, connections: 64, stream: values.stream, body, headers })
    console.log(`${Math.round(r.completedRate)} of ${values.rate} req/s answered under the profiler (open loop, ${values.stream ? 'SSE' : 'JSON'}); ${r.sent} requests`)
  } else {
    const tool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk'
    const r = await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool, url, connections: Number(values.connections), durationS: Number(values.seconds), body, headers })
    console.log(`${Math.round(r.rps)} req/s under the profiler (${tool}, ${values.connections} connections, ${values.stream ? 'SSE' : 'JSON'})`)
  }
  if (perf) {
    perf.kill('SIGINT')
    await perf.exited
  }
  await kill(mesh, 10_000)
  await kill(fake)
  if (perf) {
    console.log(`perf data: ${perfFile}\n`)
    summarizePerf(perfFile, { top: 30 })
  } else {
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'))
    console.log(`profile: ${join(dir, file)}\n`)
    summarize(join(dir, file), { top: 30 })
  }
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
}
