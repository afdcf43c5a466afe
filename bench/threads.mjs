#!/usr/bin/env node
// CPU per request of a ModelMesh target split by thread and by user / kernel time: which thread
// (the event loop, SQLite's checkpoint worker, V8's compiler and GC helpers) pays for a request, and
// how much of it is system calls. Reads /proc/PID/task/*/stat before and after a run of open-loop
// load (a warm-up first, not counted), and /proc/PID/task/*/schedstat: how long each thread waited
// on a run queue — runnable, but the cores were busy with other threads or processes — per request.
//   node bench/threads.mjs [--configs mesh-minimal.config.ts,mesh-full.config.ts] [--rate 1000] [--seconds 6]
// Threads other than the main one are listed by thread id: Node names them all "node"; the one with
// SQLite work in `node bench/syscalls.mjs --by-thread` is the checkpoint worker (with a SQLite
// store), the others are V8's platform workers and libuv's pool.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, runJsonChild, startFake, threadTimesOf } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '6' } } })
installCleanup()

const dbDir = mkdtempSync(join(tmpdir(), 'mesh-threads-'))
try {
  const { child: fake, port: fakePort } = await startFake()
  const body = JSON.stringify(chatBody())
  const rate = Number(values.rate)
  for (const config of values.configs.split(',')) {
    const { child, url, headers } = await startGateway({ config, fakePort, dbPath: join(dbDir, `${config}.db`) })
    const load = (durationS) => runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { url, rate, durationS, warmupS: 0, connections: 64, body, headers })
    await load(3)
    const before = threadTimesOf(child.pid)
    const run = await load(Number(values.seconds))
    const after = threadTimesOf(child.pid)
    const perRequest = (ms) => ((ms * 1000) / run.sent).toFixed(0).padStart(5)
    const rows = [...after].map(([tid, t]) => {
      const b = before.get(tid) ?? { userMs: 0, systemMs: 0, runQueueWaitMs: 0, slices: 0 }
      return { thread: tid === String(child.pid) ? 'main (event loop)' : `thread ${tid}`, user: t.userMs - b.userMs, system: t.systemMs - b.systemMs, wait: t.runQueueWaitMs - b.runQueueWaitMs, slices: t.slices - b.slices }
    })
    const total = rows.reduce((sum, r) => ({ user: sum.user + r.user, system: sum.system + r.system, wait: sum.wait + r.wait, slices: sum.slices + r.slices }), { user: 0, system: 0, wait: 0, slices: 0 })
    console.log(`\n${config}: ${run.sent} requests at ${rate} req/s (open loop, ${Math.round(run.completedRate)} answered/s); CPU µs per request`)
    for (const r of [...rows.filter((r) => r.user + r.system > 0).sort((a, b) => b.user + b.system - (a.user + a.system)), { thread: 'all threads', ...total }]) {
      console.log(`  ${r.thread.padEnd(18)} user ${perRequest(r.user)}  system ${perRequest(r.system)}  total ${perRequest(r.user + r.system)}  run-queue wait ${perRequest(r.wait)}  time slices ${(r.slices / run.sent).toFixed(2)}`)
    }
    await kill(child, 10_000)
  }
  await kill(fake)
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
}
