#!/usr/bin/env node
// System calls per request of a ModelMesh target under closed-loop load: `strace -c -f` attached to
// the gateway process (every thread) for a few seconds of wrk load, divided by the requests served.
// Counts are steadier than CPU time on a shared VM: a change that drops a lock or a write shows as
// a smaller count whatever the machine is doing (strace slows the gateway ~3×, so time-driven work —
// the checkpoint worker's rounds, the usage writer's flushes — is over-counted per request; compare
// builds with the same settings).
//   node bench/syscalls.mjs [--config mesh-full.config.ts] [--connections 2] [--seconds 4] [--by-thread]
// `--by-thread` traces each call instead of strace's summary and counts them per thread (the main
// thread, or each other thread by id) and, for calls on a file, per file (the WAL, the database, the
// debit journal…): which connection reads and writes what.
// Needs strace (Debian's package) and wrk.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, runJsonChild, startFake } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
const BENCH = dirname(fileURLToPath(import.meta.url))
installCleanup()
const { values } = parseArgs({ options: { config: { type: 'string', default: 'mesh-full.config.ts' }, connections: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' }, 'by-thread': { type: 'boolean', default: false } } })
const config = values.config
const conns = Number(values.connections)
const seconds = Number(values.seconds)
const traced = join(tmpdir(), `mesh-syscalls-${process.pid}.txt`)
const dbDir = mkdtempSync(join(tmpdir(), 'mesh-strace-'))
try {
  const { child: fake, port: fakePort } = await startFake()
  const { child: mesh, url, headers } = await startGateway({ config, fakePort, dbPath: join(dbDir, 'syscalls.db') })
  const body = JSON.stringify(chatBody())
  await runJsonChild('warm', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url, connections: conns, durationS: 2, body, headers })
  const byThread = values['by-thread']
  const st = spawn('strace', [...(byThread ? ['-e', 'trace=!epoll_pwait'] : ['-c']), '-f', '-o', traced, '-p', String(mesh.pid)], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 500))
  const r = await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url, connections: conns, durationS: seconds, body, headers })
  st.kill('SIGINT')
  await new Promise((r) => st.on('exit', r))
  const n = r.rps * seconds
  console.log(`${config}, ${conns} connections: ${Math.round(r.rps)} req/s under strace, ~${Math.round(n)} requests traced`)
  if (byThread) {
    // Files by descriptor, read while the gateway still runs (its SQLite files stay open).
    const files = new Map()
    for (const fd of readdirSync(`/proc/${mesh.pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${mesh.pid}/fd/${fd}`)
        if (target.startsWith('/')) files.set(fd, target.startsWith(dbDir) ? target.slice(dbDir.length + 1) : target)
      } catch {
        // Closed meanwhile.
      }
    }
    const ON_FD = new Set(['read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'fcntl', 'fsync', 'fdatasync', 'ftruncate', 'fstat'])
    const counts = new Map()
    for (const line of readFileSync(traced, 'utf8').split('\n')) {
      const m = /^(\d+)\s+(\w+)\((\d+)?/.exec(line)
      if (!m) continue
      const thread = m[1] === String(mesh.pid) ? 'main' : `thread ${m[1]}`
      const file = m[3] !== undefined && ON_FD.has(m[2]) ? files.get(m[3]) : undefined
      const key = `${thread.padEnd(13)} ${m[2].padEnd(14)} ${file ?? ''}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${key.padEnd(60)} ${(count / n).toFixed(2).padStart(7)} per request`)
  } else {
    for (const line of readFileSync(traced, 'utf8').split('\n').slice(2, 16)) {
      const f = line.trim().split(/\s+/)
      if (f.length >= 5 && !line.startsWith('---')) console.log(`${f.at(-1).padEnd(14)} ${(Number(f[3]) / n).toFixed(2).padStart(7)} per request  (${f[0]} % of traced syscall time)`)
    }
  }
  await kill(mesh, 10_000); await kill(fake)
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
  rmSync(traced, { force: true })
}
