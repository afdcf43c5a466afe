#!/usr/bin/env node
// Where the p99 goes: runs one target at a fixed open-loop rate under `perf sched record` (every
// context switch of both cores, on the monotonic clock) and, for the stretches of time in which a
// slow answer (> --threshold ms) was in flight, sums what each core was doing — the target's event
// loop, its V8 platform threads (GC and compiler jobs), its other threads, the fake upstream, the
// load generator, the kernel's own threads, other processes, idle — and how long each waited
// runnable for a core. The same sums over the whole run are the baseline to compare with.
// Then which answers above the threshold had a main-thread GC pause of the target in flight (its
// pauses from the preload lib/gc-probe.mjs), a run of at least --burst ms of a thread outside the
// bench (the VM's kdamond, say: it took a core for 6-11 ms twice a second under load here), a
// stall (a thread of the bench waited at least --burst ms for a core while its own core was idle:
// the virtual CPU ran late) or a queued wait (as long, on a busy core, while the other core idled:
// the kernel's placement), and the percentiles of the answers none of the machine's interruptions
// overlapped (lib/gc-slow.mjs, lib/sched-timeline.mjs). Last, what the target's event loop waited
// behind when it waited 0.2 ms or more for a core (lib/sched-timeline.mjs waitsBehind).
//   node bench/sched.mjs [--config mesh-full.config.ts | --config bare | --config direct] [--rate 1000] [--seconds 8]
//                        [--threshold 5] [--warmup 15] [--burst 1] [--node-args=--v8-pool-size=1]
//                        [--client c | raw]  (the open-loop client: the C one where a compiler is found, as ab.mjs and run.mjs)
//                        [--quiet-machine]  (root: DAMON off and the services the bench does not use paused meanwhile, lib/quiet-machine.mjs)
//                        [--keep-data sched.data]  (keep perf's recording, for `perf sched timehist -w -i sched.data`: who woke whom)
//                        [--dump file.json]  (the answers, GC pauses and every thread's runs, with roles, to look at
//                                            single slow stretches)
// The warm-up is long on purpose: a freshly started gateway keeps TurboFan busy on V8's threads for
// ~10 s at 1,000 req/s (134, then 52, then 4 functions optimised in three 5-s spells after 4 s), and
// those compiles would dominate the slow stretches of a run that began sooner.
// Needs linux-perf (`apt-get install -y linux-perf`) and root (or perf_event_paranoid ≤ 1).
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { quietMachine } from './lib/quiet-machine.mjs'
import { quietNote } from './lib/report.mjs'
import { chatBody, freePort, HELPER_NODE_ARGS, installCleanup, kill, killAll, onStdoutLines, runJsonChild, spawnChild, startFake, waitForLine, waitUntilServing } from './lib/procs.mjs'

/** The fake upstream with extra Node arguments (the GC probe), as lib/procs.mjs's startFake starts it otherwise. */
async function startFakeWith(nodeArgs) {
  const child = spawnChild('fake', process.execPath, [...HELPER_NODE_ARGS, ...nodeArgs, join(BENCH, 'procs/fake.mjs'), '{}'])
  const [, port] = await waitForLine(child, /ready (\d+)/)
  return { child, port: Number(port) }
}
import { startGateway } from './lib/gateway.mjs'
import { parseTimehistLine, roleOf, slowIntervals, stallsOf, threadOrderOf, timeByRole, waitsBehind, withPreemptedWaits } from './lib/sched-timeline.mjs'
import { attribute, parseGcLine, pausesByKind } from './lib/gc-slow.mjs'
import { defaultClient } from './load/c-client.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const tidsOf = (pid) => readdirSync(`/proc/${pid}/task`).map(Number)
/** A process's children (Linux: /proc/<pid>/task/<pid>/children). */
const childrenOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}
const { values } = parseArgs({ options: { config: { type: 'string', default: 'mesh-full.config.ts' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '8' }, warmup: { type: 'string', default: '15' }, threshold: { type: 'string', default: '5' }, burst: { type: 'string', default: '1' }, dump: { type: 'string' }, 'node-args': { type: 'string', default: '' }, 'quiet-machine': { type: 'boolean', default: false }, 'keep-data': { type: 'string' }, client: { type: 'string', default: defaultClient() } } })
if (spawnSync('perf', ['--version']).error) throw new Error('perf is missing: apt-get install -y linux-perf')
installCleanup()
if (values['quiet-machine']) console.log(quietNote(quietMachine()))

const rate = Number(values.rate)
const seconds = Number(values.seconds)
const thresholdMs = Number(values.threshold)
const nodeArgs = values['node-args'].split(' ').filter(Boolean)
const probe = ['--import', join(BENCH, 'lib/gc-probe.mjs')]
const dir = mkdtempSync(join(tmpdir(), 'mesh-sched-'))
try {
  // direct: the fake upstream is the target (with the GC probe), called without a proxy.
  const direct = values.config === 'direct'
  const { child: fake, port: fakePort } = direct ? await startFakeWith(probe) : await startFake()
  let target
  let url
  let headers = {}
  if (direct) {
    target = fake
    url = `http://127.0.0.1:${fakePort}/v1/chat/completions`
  } else if (values.config === 'bare') {
    const port = await freePort()
    target = spawnChild('bare', process.execPath, [...nodeArgs, ...probe, join(BENCH, 'targets/bare-proxy.mjs'), String(port), `http://127.0.0.1:${fakePort}`])
    await waitForLine(target, /ready \d+/)
    url = `http://127.0.0.1:${port}/v1/chat/completions`
    await waitUntilServing(url, chatBody(), headers)
  } else {
    ;({ child: target, url, headers } = await startGateway({ config: values.config, fakePort, dbPath: join(dir, 'sched.db'), nodeArgs: [...nodeArgs, ...probe] }))
  }
  const body = JSON.stringify(chatBody())
  const load = { url, rate, warmupS: 0, connections: 64, body, headers, client: values.client }
  await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { ...load, durationS: Number(values.warmup) })

  const pauses = []
  onStdoutLines(target, (line) => {
    const pause = parseGcLine(line)
    if (pause) pauses.push(pause)
  })
  const file = join(dir, 'sched.data')
  const perf = spawn('perf', ['sched', 'record', '-k', 'CLOCK_MONOTONIC', '-o', file, '--', 'sleep', String(seconds + 2)], { stdio: 'ignore' })
  const perfExited = new Promise((resolve) => perf.once('exit', resolve))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const loader = spawnChild('openloop', process.execPath, [...HELPER_NODE_ARGS, join(BENCH, 'load/openloop.mjs'), JSON.stringify({ ...load, durationS: seconds, raw: true, sentTimes: true })])
  let stdout = ''
  loader.stdout.on('data', (chunk) => (stdout += chunk))
  // Every thread of the three processes, while they all run (the load generator's clock thread
  // lives as long as its run): perf prints some threads' ids without their process's.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  // The C client runs as a child of openloop.mjs: that child is the load generator, its Node parent a driver that waits.
  const cClient = values.client === 'c' ? childrenOf(loader.pid)[0] : undefined
  const threads = new Map([...[target, fake, loader].map((child) => [child.pid, tidsOf(child.pid)]), [process.pid, tidsOf(process.pid)], ...(cClient ? [[cClient, tidsOf(cClient)]] : [])])
  await Promise.all([loader.exited, new Promise((resolve) => loader.stdout.once('end', resolve))])
  const run = JSON.parse(stdout.trim().split('\n').pop())
  await perfExited
  await kill(target, 10_000)
  if (!direct) await kill(fake)

  // The observer reports a pause in a task after it: give the last ones a moment.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const text = spawnSync('perf', ['sched', 'timehist', '--state', '-i', file], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).stdout
  const pidOf = new Map([...threads].flatMap(([pid, tids]) => tids.map((tid) => [tid, pid])))
  // Preempted threads waited too (perf's sch delay counts only from a wake-up).
  const events = withPreemptedWaits(text.split('\n').map(parseTimehistLine).filter(Boolean).map((e) => (pidOf.has(e.tid) ? { ...e, pid: pidOf.get(e.tid) } : e)))
  const processes = new Map([[fake.pid, 'fake'], [target.pid, 'target'], ...(cClient ? [[cClient, 'load'], [loader.pid, 'load driver']] : [[loader.pid, 'load']]), [process.pid, 'bench driver']])
  const order = threadOrderOf([...events, ...[...pidOf].map(([tid, pid]) => ({ tid, pid }))], processes.keys())
  const role = (e) => roleOf(e, processes, order)
  const latencyMs = run.raw.latency.map((us) => us / 1000)
  const sent = run.raw.sentMonotonicMs
  const slow = slowIntervals(sent, latencyMs, thresholdMs)
  const whole = [[sent[0], sent.at(-1) + latencyMs.at(-1)]]
  const inSlow = timeByRole(events, slow, role)
  const overall = timeByRole(events, whole, role)

  const p = run.latencyMs
  console.log(`${values.config}${nodeArgs.length ? ` (${nodeArgs.join(' ')})` : ''}: ${run.sent} requests at ${rate} req/s (client ${values.client}), p50 ${p.p50.toFixed(3)} p99 ${p.p99.toFixed(3)} max ${p.max.toFixed(1)} ms`)
  console.log(`${latencyMs.filter((ms) => ms > thresholdMs).length} answers above ${thresholdMs} ms, in flight during ${slow.length} stretches, ${inSlow.spanMs.toFixed(0)} ms of ${overall.spanMs.toFixed(0)} ms (${((100 * inSlow.spanMs) / overall.spanMs).toFixed(1)} %)\n`)
  console.log('share of the two cores (200 % = both busy) and runnable-waiting, per role:')
  console.log(`${'role'.padEnd(34)} ${'ran, slow'.padStart(10)} ${'ran, all'.padStart(10)} ${'waited, slow'.padStart(13)} ${'waited, all'.padStart(12)}`)
  const roles = [...new Set([...inSlow.ran.keys(), ...overall.ran.keys()])]
  const pct = (ms, span) => `${((100 * (ms ?? 0)) / span).toFixed(1)} %`
  roles.sort((a, b) => (inSlow.ran.get(b) ?? 0) - (inSlow.ran.get(a) ?? 0))
  for (const r of roles.filter((r) => (inSlow.ran.get(r) ?? 0) / Math.max(1, inSlow.spanMs) > 0.002 || (overall.ran.get(r) ?? 0) / overall.spanMs > 0.002)) {
    console.log(`${r.padEnd(34)} ${pct(inSlow.ran.get(r), inSlow.spanMs).padStart(10)} ${pct(overall.ran.get(r), overall.spanMs).padStart(10)} ${pct(inSlow.waited.get(r), inSlow.spanMs).padStart(13)} ${pct(overall.waited.get(r), overall.spanMs).padStart(12)}`)
  }
  // The event loop neither running nor runnable: waiting for the network, a timer, or a lock.
  const asleep = (t) => t.spanMs - (t.ran.get('target: main thread') ?? 0) - (t.waited.get('target: main thread') ?? 0)
  console.log(`\ntarget's event loop asleep (neither running nor runnable): ${pct(asleep(inSlow), inSlow.spanMs)} of the slow stretches, ${pct(asleep(overall), overall.spanMs)} of the whole run`)
  // Answers in the way of a GC pause of the target or of a thread outside the bench taking a core.
  const t0 = sent[0]
  const t1 = sent.at(-1) + latencyMs.at(-1)
  const gc = pauses.filter((p) => p.startMs + p.durationMs >= t0 && p.startMs <= t1)
  const burstMs = Number(values.burst)
  const foreign = events.filter((e) => !processes.has(e.pid) && e.comm !== '<idle>' && e.comm !== 'perf' && e.runMs >= burstMs && e.endMs >= t0 && e.startMs <= t1).map((e) => ({ kind: role(e), startMs: e.startMs, durationMs: e.runMs }))
  // The runs and waits within the measured seconds.
  const inRun = events.filter((e) => e.endMs >= t0 && e.startMs - e.delayMs <= t1)
  const waits = stallsOf(inRun, { minMs: burstMs })
  const stall = waits.filter((w) => w.kind === 'stall')
  const queued = waits.filter((w) => w.kind === 'queued')
  const a = attribute(sent, latencyMs, { gc, foreign, stall, queued }, { slowMs: thresholdMs })
  // The machine's interruptions left out (the VM's stalls, outside threads), the target's own collections and the kernel's placement kept.
  const machine = attribute(sent, latencyMs, { foreign, stall }, { slowMs: thresholdMs })
  const f = (ms) => (Number.isFinite(ms) ? ms.toFixed(3) : '-')
  console.log(`\npauses in the measured ${((t1 - t0) / 1000).toFixed(1)} s: the target's GC (main thread), runs of at least ${burstMs} ms of threads outside the bench, stalls (a thread of the bench waited at least ${burstMs} ms for a core while its own core was idle: the virtual CPU ran late) and queued waits (it waited as long on a busy core while the other core was idle: the kernel's placement):`)
  const label = (kind) => (kind === 'queued' ? 'queued beside an idle core' : kind)
  for (const k of [...pausesByKind(gc).map((k) => ({ ...k, kind: `GC ${k.kind}` })), ...pausesByKind(foreign), ...pausesByKind(waits).map((k) => ({ ...k, kind: label(k.kind) }))]) console.log(`  ${k.kind.padEnd(26)} ${String(k.count).padStart(5)}, median ${f(k.p50)} ms, max ${f(k.max)} ms, ${f(k.totalMs)} ms in all`)
  const share = (n) => `${n} (${a.slow.count ? ((100 * n) / a.slow.count).toFixed(0) : 0} %)`
  console.log(`answers above ${thresholdMs} ms: ${a.slow.count}; overlapped by a GC pause ${share(a.slow.by.gc)}, an outside thread's run ${share(a.slow.by.foreign)}, a stall ${share(a.slow.by.stall)}, a queued wait ${share(a.slow.by.queued)}; by none ${share(a.slow.none)}`)
  const line = (label, x, note = '') => console.log(`${label.padEnd(44)} p50 ${f(x.p50)}  p90 ${f(x.p90)}  p99 ${f(x.p99)}  max ${f(x.max)} ms${note}`)
  line('all answers', a.all)
  line('answers no outside run or stall overlapped', machine.clean, `  (${machine.clean.count} of ${latencyMs.length}; the target's GC and queued waits kept)`)
  line('answers nothing overlapped', a.clean, `  (${a.clean.count} of ${latencyMs.length})`)
  // What the event loop waited behind, on the core it then ran on, when it waited 0.2 ms or more.
  const w = waitsBehind(inRun, (e) => e.pid === target.pid && e.tid === target.pid, role, { minMs: 0.2 })
  const behind = [...w.behind].sort((x, y) => y[1] - x[1]).filter(([, ms]) => ms >= 0.05 * w.totalMs)
  console.log(`\nthe target's event loop waited 0.2 ms or more for a core ${w.count} times, ${f(w.totalMs)} ms in all; meanwhile on its core: ${behind.map(([r, ms]) => `${r} ${ms.toFixed(1)} ms`).join(', ') || '-'}; the other core idle ${w.otherIdleMs.toFixed(1)} ms of it`)
  if (values['keep-data']) copyFileSync(file, values['keep-data'])
  if (values.dump) writeFileSync(values.dump, JSON.stringify({ sentMs: sent, latencyMs, gc, stall: waits, runs: events.filter((e) => e.endMs >= t0 && e.startMs <= t1).map((e) => ({ role: role(e), tid: e.tid, cpu: e.cpu, startMs: e.startMs, endMs: e.endMs, delayMs: e.delayMs })) }))
} finally {
  await killAll()
  rmSync(dir, { recursive: true, force: true })
}
