#!/usr/bin/env node
// How much of a target's tail its own garbage collections make: runs each config at a fixed open-loop
// rate with a preload (lib/gc-probe.mjs) that reports every main-thread GC pause on the load
// generator's clock, then splits the answers into those a pause overlapped and the rest (lib/gc-slow.mjs).
// If the p99 of the answers no pause touched is under the goal, the tail is the collector's; if not,
// something else (a lost core, a long task) makes it.
//   node bench/gcslow.mjs [--configs mesh-minimal.config.ts,mesh-full.config.ts] [--rate 1000]
//                         [--seconds 10] [--warmup 15] [--slow 5] [--node-args=--max-semi-space-size=32]
//                         [--roots /work/base,/work/main] [--runs 3]  (builds to compare: each config of each, in turn, per run)
// `--node-args` go to every gateway (V8 flags to compare: run twice). Warm-up as in sched.mjs: TurboFan
// keeps V8's threads busy for ~10 s after start at 1,000 req/s.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, onStdoutLines, runJsonChild, startFake } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
import { attribute, parseGcLine, pausesByKind } from './lib/gc-slow.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '15' }, slow: { type: 'string', default: '5' }, 'node-args': { type: 'string', default: '' }, roots: { type: 'string' }, runs: { type: 'string', default: '1' } } })
installCleanup()
const rate = Number(values.rate)
const slowMs = Number(values.slow)
const extra = values['node-args'].split(' ').filter(Boolean)
const dir = mkdtempSync(join(tmpdir(), 'mesh-gcslow-'))
const f = (ms) => (Number.isFinite(ms) ? ms.toFixed(3) : '-')
try {
  const { child: fake, port: fakePort } = await startFake()
  const body = JSON.stringify(chatBody())
  const roots = values.roots ? values.roots.split(',') : [undefined]
  for (let round = 0; round < Number(values.runs); round++)
    for (const [r, root] of roots.entries())
      for (const config of values.configs.split(',')) {
    const name = `${config}${roots.length > 1 ? `@${r}` : ''}`
    const g = await startGateway({ ...(root && { root }), config, fakePort, dbPath: join(dir, `${round}-${r}-${config}.db`), nodeArgs: [...extra, '--import', join(BENCH, 'lib/gc-probe.mjs')] })
    const load = { url: g.url, rate, warmupS: 0, connections: 64, body, headers: g.headers }
    await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { ...load, durationS: Number(values.warmup) })
    const pauses = []
    const stop = onStdoutLines(g.child, (line) => {
      const pause = parseGcLine(line)
      if (pause) pauses.push(pause)
    })
    const run = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { ...load, durationS: Number(values.seconds), raw: true, sentTimes: true })
    // The observer reports a pause in a task after it: give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 200))
    stop()
    await kill(g.child, 10_000)
    const sent = run.raw.sentMonotonicMs
    const latency = run.raw.latency.map((us) => us / 1000)
    const t0 = sent[0]
    const t1 = sent.at(-1) + latency.at(-1)
    const inRun = pauses.filter((p) => p.startMs + p.durationMs >= t0 && p.startMs <= t1)
    const a = attribute(sent, latency, { gc: inRun }, { slowMs })
    console.log(`${name}${extra.length ? ` (${extra.join(' ')})` : ''}: ${latency.length} answers at ${rate} req/s over ${((t1 - t0) / 1000).toFixed(1)} s`)
    for (const k of pausesByKind(inRun)) console.log(`  ${k.kind.padEnd(15)} ${String(k.count).padStart(5)} pauses, median ${f(k.p50)} ms, max ${f(k.max)} ms, ${f(k.totalMs)} ms in all (${((100 * k.totalMs) / (t1 - t0)).toFixed(2)} % of the time)`)
    console.log(`  all answers                  p50 ${f(a.all.p50)}  p90 ${f(a.all.p90)}  p99 ${f(a.all.p99)}  max ${f(a.all.max)} ms`)
    console.log(`  answers no pause overlapped  p50 ${f(a.clean.p50)}  p90 ${f(a.clean.p90)}  p99 ${f(a.clean.p99)}  max ${f(a.clean.max)} ms  (${a.clean.count} answers; ${a.hitCount.gc} overlapped one, ${((100 * a.hitCount.gc) / latency.length).toFixed(2)} %)`)
    console.log(`  answers above ${slowMs} ms: ${a.slow.count}, of which a pause overlapped ${a.slow.by.gc} (${a.slow.count ? ((100 * a.slow.by.gc) / a.slow.count).toFixed(0) : 0} %)`)
  }
  await kill(fake)
} finally {
  await killAll()
  rmSync(dir, { recursive: true, force: true })
}
