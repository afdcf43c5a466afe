#!/usr/bin/env node
// The file system calls a gateway makes, by thread, under open-loop load: how many, how long they took
// in all, and how many took over 200 us — counted by the kernel (bpftrace on the syscall tracepoints,
// filtered to the gateway's process), so unlike strace (syscalls.mjs) the gateway runs at its own
// speed. "main" is the event loop; "other" every other thread (SQLite's checkpoint worker, libuv's
// pool). A blocking call on the event loop holds every request in flight; this shows which are left.
//   node bench/filecalls.mjs [--config mesh-full.config.ts] [--rate 1000] [--seconds 15] [--warmup 10] [--root /other/checkout]
// Needs bpftrace (`apt-get install -y bpftrace`) and root. Nothing is written to bench/results/.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseFileCalls } from './lib/file-calls.mjs'
import { startGateway } from './lib/gateway.mjs'
import { chatBody, installCleanup, kill, runJsonChild, startFake } from './lib/procs.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { config: { type: 'string', default: 'mesh-full.config.ts' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '15' }, warmup: { type: 'string', default: '10' }, root: { type: 'string', default: join(BENCH, '..') } } })
if (spawnSync('bpftrace', ['--version']).error) throw new Error('bpftrace is missing: apt-get install -y bpftrace')
// The syscall tracepoints live in tracefs, which a fresh VM here may not have mounted (bpftrace then
// fails with "tracepoint not found"): mount it once, as root.
const TRACEPOINTS = '/sys/kernel/tracing/events/syscalls'
if (!existsSync(TRACEPOINTS)) spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'])
if (!existsSync(TRACEPOINTS)) throw new Error(`no syscall tracepoints at ${TRACEPOINTS}: mount tracefs (as root: mount -t tracefs nodev /sys/kernel/tracing)`)
installCleanup()

const CALLS = ['write', 'pwrite64', 'pread64', 'fsync', 'fdatasync', 'fcntl', 'ftruncate']
const program = (pid, seconds) => `
${CALLS.map((c) => `tracepoint:syscalls:sys_enter_${c}`).join(',')} /pid == ${pid}/ { @start[tid] = nsecs; @call[tid] = probe; }
${CALLS.map((c) => `tracepoint:syscalls:sys_exit_${c}`).join(',')} /pid == ${pid} && @start[tid]/ {
  $us = (nsecs - @start[tid]) / 1000;
  $who = tid == ${pid} ? "main" : "other";
  @n[$who, @call[tid]] = count(); @us[$who, @call[tid]] = sum($us);
  if ($us > 200) { @over[$who, @call[tid]] = count(); }
  delete(@start[tid]); delete(@call[tid]);
}
interval:s:${seconds} { exit(); }
`

const seconds = Number(values.seconds)
const rate = Number(values.rate)
const dir = mkdtempSync(join(tmpdir(), 'mesh-filecalls-'))
try {
  const { child: fake, port: fakePort } = await startFake()
  const { child: target, url, headers } = await startGateway({ config: values.config, fakePort, dbPath: join(dir, 'filecalls.db'), root: values.root })
  const load = { url, rate, warmupS: 0, connections: 64, body: JSON.stringify(chatBody()), headers }
  await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { ...load, durationS: Number(values.warmup) })
  // bpftrace prints its maps when it exits (lib/file-calls.mjs parses them).
  const tracer = spawn('bpftrace', ['-e', program(target.pid, seconds)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  let errors = ''
  tracer.stdout.on('data', (chunk) => (text += chunk))
  tracer.stderr.on('data', (chunk) => (errors += chunk))
  const traced = new Promise((resolve) => tracer.once('exit', resolve))
  await new Promise((resolve) => setTimeout(resolve, 1500)) // attached
  const run = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { ...load, durationS: seconds + 2 }, { timeoutMs: (seconds + 60) * 1000 })
  const code = await traced
  await kill(target, 10_000)
  await kill(fake)
  // A tracer that failed (a missing tracepoint, say) prints no maps: an error, not an empty table.
  if (code !== 0) throw new Error(`bpftrace failed (exit code ${code}): ${errors.trim() || 'no output'}`)

  const requests = rate * seconds
  console.log(`${values.config} at ${rate} req/s (client p50 ${run.latencyMs.p50.toFixed(3)}, p99 ${run.latencyMs.p99.toFixed(3)} ms); file system calls in ${seconds} s (~${requests} requests):`)
  console.log(`${'thread'.padEnd(7)} ${'call'.padEnd(10)} ${'count'.padStart(8)} ${'per request'.padStart(12)} ${'ms in all'.padStart(10)} ${'us each'.padStart(8)} ${'> 200 us'.padStart(9)}`)
  const rows = parseFileCalls(text)
  if (rows.length === 0) console.log('(no file system calls)')
  for (const r of rows) {
    console.log(`${r.who.padEnd(7)} ${r.call.padEnd(10)} ${String(r.n).padStart(8)} ${(r.n / requests).toFixed(3).padStart(12)} ${(r.us / 1000).toFixed(1).padStart(10)} ${(r.us / Math.max(1, r.n)).toFixed(1).padStart(8)} ${String(r.over).padStart(9)}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
