#!/usr/bin/env node
// System calls per request of a ModelMesh target under closed-loop load: `strace -c -f` attached to
// the gateway process (every thread) for a few seconds of wrk load, divided by the requests served.
// Counts are steadier than CPU time on a shared VM: a change that drops a lock or a write shows as
// a smaller count whatever the machine is doing (strace slows the gateway ~3×, so time-driven work —
// the checkpoint worker's rounds, the usage writer's flushes — is over-counted per request; compare
// builds with the same settings).
//   node bench/syscalls.mjs [--config mesh-full.config.ts] [--connections 2] [--seconds 4]
// Needs strace (Debian's package) and wrk.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, runJsonChild, spawnChild, waitForLine } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
const BENCH = dirname(fileURLToPath(import.meta.url))
installCleanup()
const { values } = parseArgs({ options: { config: { type: 'string', default: 'mesh-full.config.ts' }, connections: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' } } })
const config = values.config
const conns = Number(values.connections)
const seconds = Number(values.seconds)
const traced = join(tmpdir(), `mesh-syscalls-${process.pid}.txt`)
const dbDir = mkdtempSync(join(tmpdir(), 'mesh-strace-'))
try {
  const fake = spawnChild('fake', process.execPath, [join(BENCH, 'procs/fake.mjs'), '{}'])
  const [, fakePort] = await waitForLine(fake, /ready (\d+)/)
  const { child: mesh, url, headers } = await startGateway({ config, fakePort, dbPath: join(dbDir, 'syscalls.db') })
  const body = JSON.stringify(chatBody())
  await runJsonChild('warm', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url, connections: conns, durationS: 2, body, headers })
  const st = spawn('strace', ['-c', '-f', '-o', traced, '-p', String(mesh.pid)], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 500))
  const r = await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url, connections: conns, durationS: seconds, body, headers })
  st.kill('SIGINT')
  await new Promise((r) => st.on('exit', r))
  const n = r.rps * seconds
  console.log(`${config}, ${conns} connections: ${Math.round(r.rps)} req/s under strace, ~${Math.round(n)} requests traced`)
  for (const line of readFileSync(traced, 'utf8').split('\n').slice(2, 16)) {
    const f = line.trim().split(/\s+/)
    if (f.length >= 5 && !line.startsWith('---')) console.log(`${f.at(-1).padEnd(14)} ${(Number(f[3]) / n).toFixed(2).padStart(7)} per request  (${f[0]} % of traced syscall time)`)
  }
  await kill(mesh, 10_000); await kill(fake)
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
  rmSync(traced, { force: true })
}
