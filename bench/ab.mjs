#!/usr/bin/env node
// Quick side-by-side of ModelMesh configs (or builds): each one started in turn against the same fake
// upstream, measured interleaved round by round (in alternating order: lib/rounds.mjs) at a few
// closed-loop concurrencies.
// Reports req/s and the target's CPU µs per request (/proc/PID/stat) — the steady measure on 2 shared cores.
//   node bench/ab.mjs [--configs mesh-minimal.config.ts,mesh-full.config.ts] [--roots /other/checkout,...]
//                     [--connections 2,100] [--seconds 5] [--rounds 2] [--node-args '|--max-semi-space-size=64']
// `--roots` compares builds: every config is run from each checkout's bench/targets (default: this one).
// `--client c|raw|undici`: the open-loop load generator's HTTP client (load/openloop.mjs; default c where a
// C compiler is found, else raw).
// `--rate R[,R2,...]`: interleaved open-loop rounds at each rate in turn instead of closed-loop load
// (latency percentiles, overhead against the direct fake). `--warmup S`: with `--rate`, seconds of load
// before each round that are not counted (default 1). `--stream` (with `--rate`): streamed requests, the
// time to the first SSE event instead of the whole answer. `--bare`: the bare undici proxy
// (targets/bare-proxy.mjs) as a target too. Together they show what one proxy hop costs at each rate:
//   node bench/ab.mjs --bare --rate 100,1000 --stream --rounds 3 --seconds 4 --warmup 2 --quiet-machine
// `--node-args` compares Node/V8 flags (write `--node-args='…'` when the first starts with a dash):
// alternatives separated by `|` (an empty one: no flags), each
// alternative's flags separated by spaces, given to the gateway process only.
// A config named *full* gets an account, credits and a key through the admin API first.
// `--quiet-machine` (root): DAMON off and the services the bench does not use paused meanwhile (lib/quiet-machine.mjs).
// `--awake-cores`: an idle-priority spinner on every CPU meanwhile, so that no virtual CPU halts (lib/awake-cores.mjs).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, cpuMsOf, freePort, installCleanup, kill, killAll, runJsonChild, spawnChild, startFake, stealMeter, waitForLine, waitUntilServing } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
import { percentiles, slowStretches } from './lib/open-loop-stats.mjs'
import { awakeCores } from './lib/awake-cores.mjs'
import { quietMachine } from './lib/quiet-machine.mjs'
import { awakeNote, quietNote } from './lib/report.mjs'
import { roundOrder } from './lib/rounds.mjs'
import { defaultClient } from './load/c-client.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' },
    roots: { type: 'string', default: join(BENCH, '..') },
    connections: { type: 'string', default: '2,100' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    'node-args': { type: 'string', default: '' },
    rate: { type: 'string' },
    stream: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '1' },
    client: { type: 'string', default: defaultClient() },
    'quiet-machine': { type: 'boolean', default: false },
    'awake-cores': { type: 'boolean', default: false },
  },
})
installCleanup()
if (values['quiet-machine']) console.log(quietNote(quietMachine()))
if (values['awake-cores']) console.log(awakeNote(await awakeCores()))
const dbDir = mkdtempSync(join(tmpdir(), 'mesh-ab-db-'))
const rates = values.rate?.split(',').map(Number)
if (rates?.some((rate) => !(rate > 0))) throw new Error(`--rate must be requests per second (a list separated by commas), not ${values.rate}`)
if (values.stream && !rates) throw new Error('--stream needs --rate (open-loop rounds)')
const stream = values.stream
// The bare proxy and the direct fake take the fake's own model name; ModelMesh's configs route `bench`.
const bodyOf = (t, extra) => JSON.stringify(chatBody(t.model ?? 'bench', extra))

/** `--rate`: interleaved open-loop rounds (`--warmup` s of warm-up each, default 1), percentiles over the pooled requests. */
async function openLoop(targets, rate) {
  const seconds = Number(values.seconds)
  const warmup = Number(values.warmup)
  const pooled = new Map(targets.map((t) => [t, { latency: [], own: [], cpuMs: 0, offered: 0 }]))
  for (let round = 0; round < Number(values.rounds); round++)
    for (const t of roundOrder(targets, round)) {
      const acc = pooled.get(t)
      const cpuBefore = cpuMsOf(t.child.pid)
      const steal = stealMeter()
      const r = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { url: t.url, rate, durationS: seconds, warmupS: warmup, connections: 64, client: values.client, raw: true, body: bodyOf(t, stream ? { stream: true } : {}), headers: t.headers, stream })
      acc.cpuMs += cpuMsOf(t.child.pid) - cpuBefore
      acc.offered += rate * (seconds + warmup)
      // With --stream the measure is the first event's time (the whole stream's is r.latencyMs).
      const measured = stream ? r.ttftMs : r.latencyMs
      acc.latency.push(...(stream ? r.raw.ttft : r.raw.latency))
      if (r.raw.own) acc.own.push(...r.raw.own)
      console.log(`round ${round + 1}  ${t.name.padEnd(36)} ${stream ? 'first event ' : ''}p50 ${measured.p50.toFixed(3)}  p90 ${measured.p90.toFixed(3)}  p99 ${measured.p99.toFixed(3)} ms  answered ${Math.round(r.completedRate)}/s  errors ${r.errors + r.non2xx}  steal ${steal().percent.toFixed(1)} %`)
    }
  console.log(`\npooled over ${values.rounds} rounds at ${rate} ${stream ? 'streams/s, time to the first event' : 'req/s'} (overhead = target − direct, same percentile):`)
  let direct
  for (const t of targets) {
    const acc = pooled.get(t)
    const p = percentiles(acc.latency)
    direct ??= p
    const over = (q) => (t === targets[0] ? '' : ` (${p[q] - direct[q] >= 0 ? '+' : ''}${(p[q] - direct[q]).toFixed(3)})`)
    // own: the gateway's own overhead as it reports it (x-mesh-overhead-ms), when it does.
    const own = acc.own.length ? percentiles(acc.own) : undefined
    const ownText = own ? `  own p50/p90/p95/p99 ${own.p50.toFixed(3)}/${own.p90.toFixed(3)}/${own.p95.toFixed(3)}/${own.p99.toFixed(3)}` : ''
    // client − own, request by request (when every answer carried the header): the time outside what
    // the gateway counts as its own — the hops, the upstream, and waiting in the event loop's queue.
    const outside = own && acc.own.length === acc.latency.length ? percentiles(acc.latency.map((l, i) => l - acc.own[i])) : undefined
    const outsideText = outside ? `  client−own ${outside.p50.toFixed(3)}/${outside.p90.toFixed(3)}/${outside.p95.toFixed(3)}/${outside.p99.toFixed(3)}` : ''
    console.log(`${t.name.padEnd(36)} p50 ${p.p50.toFixed(3)}${over('p50')}  p90 ${p.p90.toFixed(3)}${over('p90')}  p95 ${p.p95.toFixed(3)}${over('p95')}  p99 ${p.p99.toFixed(3)}${over('p99')} ms  CPU ${((acc.cpuMs * 1000) / acc.offered).toFixed(0)} µs/req${ownText}${outsideText}`)
    // Where the tail comes from: a few regular long stretches (pauses) or many short ones (a queue).
    const slow = slowStretches(acc.latency)
    if (slow) console.log(`${''.padEnd(36)} slow (> 5 ms): ${slow.slow} answers in ${slow.stretches} stretches, median ${slow.medianSize} answers, largest ${slow.largestSize}, worst ${slow.largestMs.toFixed(1)} ms${slow.medianSpacing ? `, one every ~${slow.medianSpacing} answers` : ''}`)
  }
}

try {
  const { child: fake, port: fakePort } = await startFake()
  const roots = values.roots.split(',')
  const targets = []
  const flagSets = values['node-args'].split('|').map((alternative) => alternative.split(' ').filter(Boolean))
  for (const [r, root] of roots.entries())
    for (const config of values.configs.split(','))
      for (const nodeArgs of flagSets) {
        let name = roots.length > 1 ? `${config.replace('.config.ts', '')}@${r}` : config.replace('.config.ts', '')
        if (flagSets.length > 1) name += ` [${nodeArgs.join(' ') || 'no flags'}]`
        targets.push({ name, ...(await startGateway({ root, config, fakePort, nodeArgs, dbPath: join(dbDir, `${targets.length}.db`) })) })
      }
  if (values.bare) {
    const port = await freePort()
    const child = spawnChild('bare proxy', process.execPath, [join(BENCH, 'targets/bare-proxy.mjs'), String(port), `http://127.0.0.1:${fakePort}`])
    await waitForLine(child, /^ready /)
    const url = `http://127.0.0.1:${port}/v1/chat/completions`
    await waitUntilServing(url, chatBody('gpt-4o-mini'), {})
    targets.unshift({ name: 'bare undici proxy', child, url, headers: {}, model: 'gpt-4o-mini' })
  }
  if (rates) {
    for (const rate of rates) await openLoop([{ name: 'direct (fake)', child: fake, url: `http://127.0.0.1:${fakePort}/v1/chat/completions`, headers: {}, model: 'gpt-4o-mini' }, ...targets], rate)
    for (const t of targets) await kill(t.child)
    await kill(fake)
    process.exit(0)
  }
  // Warm every target first (JIT, pools, the SQLite cache): a cold first round would be a different measurement.
  for (const connections of values.connections.split(',').map(Number))
    for (const t of targets) await runJsonChild('warm-up', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url: t.url, connections, durationS: 3, body: bodyOf(t), headers: t.headers })
  const results = new Map()
  for (let round = 0; round < Number(values.rounds); round++)
    for (const connections of values.connections.split(',').map(Number))
      for (const t of roundOrder(targets, round)) {
        const cpuBefore = cpuMsOf(t.child.pid)
        const r = await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool: 'wrk', url: t.url, connections, durationS: Number(values.seconds), body: bodyOf(t), headers: t.headers })
        const requests = r.rps * Number(values.seconds)
        const cpuUs = ((cpuMsOf(t.child.pid) - cpuBefore) * 1000) / requests
        const key = `${connections}\t${t.name}`
        results.set(key, [...(results.get(key) ?? []), { rps: r.rps, cpuUs, p50: r.latencyMs.p50 }])
        console.log(`round ${round + 1}  ${String(connections).padStart(4)} conns  ${t.name.padEnd(36)} ${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  CPU ${cpuUs.toFixed(0)} µs/req  non2xx ${r.non2xx}`)
      }
  console.log('\nmedians:')
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  for (const [key, rs] of results) {
    const [connections, name] = key.split('\t')
    console.log(`${connections.padStart(4)} conns  ${name.padEnd(36)} ${Math.round(median(rs.map((r) => r.rps))).toString().padStart(6)} req/s  p50 ${median(rs.map((r) => r.p50)).toFixed(2)} ms  CPU ${median(rs.map((r) => r.cpuUs)).toFixed(0)} µs/req`)
  }
  for (const t of targets) await kill(t.child)
  await kill(fake)
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
}
