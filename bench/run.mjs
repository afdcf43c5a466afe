#!/usr/bin/env node
// `pnpm bench`: every scenario, every target side by side, one run. Writes bench/results/<date>.{md,json}
// and bench/results/latest.md. Needs built packages (`pnpm build`); installs nothing itself.
//
//   node bench/run.mjs [--quick] [--tool wrk|autocannon] [--only throughput,latency,ttft,streams,routing,coldstart,instructions]
//                      [--streams-config mesh-minimal.config.ts]   (config of the many-streams gateway; default full)
//                      [--targets direct,bare,mesh-full]             (a subset of the targets)
//                      [--compare /path/to/other/checkout]           (adds that build's minimal and full as
//                                                                     `…@base` targets: before/after in one run)
//                      [--pacing clock|tick]  (open-loop pacing of the latency and TTFT scenarios; default
//                                 clock: evenly spaced requests — see load/openloop.mjs and bench/README)
//                      [--client c|raw|undici]  (HTTP client of the open-loop load generator; default c, the C
//                                 client of load/openloop.c built with the machine's cc, where there is one,
//                                 else raw, the Node one of load/raw-http.mjs — see load/openloop.mjs and
//                                 bench/README "Eighteenth session")
//                      [--pin]   (latency and TTFT scenarios: the fake and the load generator on CPU 0, the
//                                 target alone on CPU 1 — see bench/README "Pinned latency")
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { chat, chatBody, cpuMsOf, freePort, HELPER_NODE_ARGS, installCleanup, kill, killAll, memoryOf, pin, runJsonChild, runQueueWaitMsOf, spawnChild, startFake, stealPercent, waitForLine, waitForReady, waitUntilServing } from './lib/procs.mjs'
import { awakeCores } from './lib/awake-cores.mjs'
import { quietMachine } from './lib/quiet-machine.mjs'
import { renderMarkdown } from './lib/report.mjs'
import { measureRound, roundOrder } from './lib/rounds.mjs'
import { mergeRounds } from './lib/open-loop-stats.mjs'
import { httpAdmin, provision } from './lib/provision.mjs'
import { defaultClient } from './load/c-client.mjs'
import { request } from 'undici'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = join(BENCH, '..')
const MESH_BIN = join(ROOT, 'packages/cli/dist/bin.js')
const PORTKEY_BIN = join(BENCH, 'node_modules/@portkey-ai/gateway/build/start-server.js')
const PRELOAD = join(BENCH, 'preload-loopback.mjs')
// Throw-away SQLite databases for ModelMesh full (removed at the end).
const DB_DIR = mkdtempSync(join(os.tmpdir(), 'mesh-bench-db-'))

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tool: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    'streams-config': { type: 'string', default: 'mesh-full.config.ts' },
    targets: { type: 'string' },
    compare: { type: 'string' },
    pin: { type: 'boolean', default: false },
    // Root: DAMON off and the services the bench does not use paused for the run (lib/quiet-machine.mjs).
    'quiet-machine': { type: 'boolean', default: false },
    // An idle-priority spinner on every CPU, so that no virtual CPU halts between requests (lib/awake-cores.mjs).
    'awake-cores': { type: 'boolean', default: false },
    pacing: { type: 'string', default: 'clock' },
    client: { type: 'string', default: defaultClient() },
    // Open-loop rounds (latency, TTFT) with more hypervisor steal than this (% of the VM's cores, over
    // the measured seconds) are measured again, up to --steal-retries times; --steal-limit 100 never.
    'steal-limit': { type: 'string', default: '1' },
    'steal-retries': { type: 'string', default: '2' },
  },
})
const quick = flags.quick
if (!['clock', 'tick'].includes(flags.pacing)) throw new Error(`--pacing must be clock or tick, not ${flags.pacing}`)
if (!['c', 'raw', 'undici'].includes(flags.client)) throw new Error(`--client must be c, raw or undici, not ${flags.client}`)
const stealLimitPercent = Number(flags['steal-limit'])
const stealRetries = Number(flags['steal-retries'])
if (!(stealLimitPercent >= 0)) throw new Error(`--steal-limit must be a share of the cores in % (0 or more), not ${flags['steal-limit']}`)
if (!Number.isInteger(stealRetries) || stealRetries < 0) throw new Error(`--steal-retries must be a whole number, not ${flags['steal-retries']}`)
const only = flags.only ? new Set(flags.only.split(',')) : undefined
const enabled = (name) => !only || only.has(name)

// Durations: full ≈ 17 min on 2 cores (6 of them the instructions scenario under valgrind); --quick a few
// minutes (a smoke run: numbers are indicative only).
const PLAN = quick
  ? { tpWarmupS: 1, tpDurationS: 3, tpRounds: 1, latRate: 1000, latWarmupS: 1, latRoundWarmupS: 1, latDurationS: 1.5, latRounds: 2, ttftRate: 50, ttftLoadedRate: 1000, ttftWarmupS: 0.5, ttftDurationS: 1.5, ttftRounds: 2, streams: 1000, streamClients: 2, streamChunkDelayMs: 300, streamReplyChars: 40, coldRuns: 1, routingBudgetMs: 300, instructionWarmup: 1000, instructionRequests: 200, roundOrder: 'alternating', stealLimitPercent, stealRetries }
  : { tpWarmupS: 3, tpDurationS: 4, tpRounds: 4, latRate: 1000, latWarmupS: 5, latRoundWarmupS: 5, latDurationS: 4, latRounds: 3, ttftRate: 100, ttftLoadedRate: 1000, ttftWarmupS: 2, ttftDurationS: 4, ttftRounds: 3, streams: 10_000, streamClients: 4, streamChunkDelayMs: 1000, streamReplyChars: 75, coldRuns: 5, routingBudgetMs: 700, instructionWarmup: 6000, instructionRequests: 2000, roundOrder: 'alternating', stealLimitPercent, stealRetries }

function detectTool() {
  if (flags.tool) return flags.tool
  return spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk'
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

function machine() {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    fileLimit: Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()),
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  }
}


/** The targets, each described by how to start it and how to call it. */
function targetSpecs(fake) {
  // Every target gets the same client headers (Portkey forwards the bearer key to the upstream).
  const auth = { authorization: 'Bearer bench-key' }
  // Each ModelMesh target has its own throw-away database, and runs its build's own config file
  // (bench/targets of that checkout), so its packages resolve in its own tree.
  const meshStart = (config, root = ROOT) => async (port) =>
    spawnChild(`mesh ${config}`, process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'start', '--config', join(root, 'bench/targets', config), '--port', String(port)], {
      env: { BENCH_UPSTREAM: fake.baseURL, BENCH_DB: join(DB_DIR, `${root === ROOT ? 'main' : 'base'}-${config}.db`) },
    })
  const base = flags.compare
    ? [
        { id: 'mesh-minimal@base', label: 'ModelMesh minimal (baseline build)', model: 'bench', headers: auth, start: meshStart('mesh-minimal.config.ts', flags.compare) },
        { id: 'mesh-full@base', label: 'ModelMesh full¹ (baseline build)', model: 'bench', headers: auth, provision: true, start: meshStart('mesh-full.config.ts', flags.compare) },
      ]
    : []
  const chosen = flags.targets ? new Set(flags.targets.split(',')) : undefined
  return [
    { id: 'direct', label: 'direct fake (limit)', model: 'gpt-4o-mini', headers: auth, start: null, fakeChild: fake.child },
    { id: 'bare', label: 'bare undici proxy', model: 'gpt-4o-mini', headers: auth, start: async (port) => spawnChild('bare proxy', process.execPath, [join(BENCH, 'targets/bare-proxy.mjs'), String(port), `http://127.0.0.1:${fake.port}`]) },
    { id: 'mesh-minimal', label: 'ModelMesh minimal', model: 'bench', headers: auth, start: meshStart('mesh-minimal.config.ts') },
    // Its bearer key is replaced by a virtual key created through the admin API once it is up.
    { id: 'mesh-full', label: 'ModelMesh full¹', model: 'bench', headers: auth, provision: true, start: meshStart('mesh-full.config.ts') },
    {
      id: 'portkey',
      label: 'Portkey 1.15.2',
      model: 'gpt-4o-mini',
      headers: { ...auth, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseURL },
      start: async (port) => spawnChild('portkey', process.execPath, ['--import', PRELOAD, PORTKEY_BIN, '--headless', `--port=${port}`]),
    },
    ...base,
  ].filter((t) => !chosen || chosen.has(t.id) || t.id === 'direct')
}

async function startTargets(specs, fake) {
  const running = []
  for (const spec of specs) {
    let child
    let port = fake.port
    const startedAt = performance.now()
    if (spec.start) {
      port = await freePort()
      child = await spec.start(port)
    }
    const url = `http://127.0.0.1:${port}/v1/chat/completions`
    if (spec.provision) {
      await waitForReady(`http://127.0.0.1:${port}`)
      const key = await provision(httpAdmin(`http://127.0.0.1:${port}`, request))
      spec.headers = { ...spec.headers, authorization: `Bearer ${key}` }
      const refused = await chat(url, chatBody(spec.model), {})
      if (refused.status !== 401) throw new Error(`${spec.id}: expected 401 without a key, got ${refused.status}`)
    }
    // Verify: a correct 200 chat completion from the fake, through this target, before measuring.
    const answer = await waitUntilServing(url, chatBody(spec.model), spec.headers)
    const json = JSON.parse(answer.body)
    const content = json.choices?.[0]?.message?.content
    if (json.object !== 'chat.completion' || !String(content).startsWith('You said: Hello bench')) throw new Error(`${spec.id}: unexpected answer ${answer.body.slice(0, 300)}`)
    const stream = await chat(url, chatBody(spec.model, { stream: true }), spec.headers)
    if (stream.status !== 200 || !stream.body.includes('data: [DONE]')) throw new Error(`${spec.id}: streaming check failed: ${stream.status} ${stream.body.slice(0, 300)}`)
    running.push({ ...spec, child, port, url, readyMs: performance.now() - startedAt })
    console.log(`  ${spec.id.padEnd(13)} ready on :${port} (verified JSON and SSE)`)
  }
  return running
}

// ── scenarios ────────────────────────────────────────────────────────────────────────────────────

async function idleMemory(targets) {
  await sleep(1000)
  const out = {}
  for (const t of targets) out[t.id] = memoryOf(t.child ? t.child.pid : t.fakePid)
  return out
}

async function throughput(targets, tool) {
  const results = {}
  for (const connections of [100, 1000]) {
    results[connections] = {}
    // Warm every target at this concurrency first (JIT, pools), then interleave measured rounds
    // target by target so a noisy neighbour or drift hits all targets alike.
    for (const t of targets) {
      await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool, url: t.url, connections, durationS: PLAN.tpWarmupS, body: JSON.stringify(chatBody(t.model)), headers: t.headers })
    }
    const rounds = {}
    for (let round = 0; round < PLAN.tpRounds; round++) {
      for (const t of roundOrder(targets, round)) {
        const r = await runJsonChild('load', join(BENCH, 'load/throughput.mjs'), { tool, url: t.url, connections, durationS: PLAN.tpDurationS, body: JSON.stringify(chatBody(t.model)), headers: t.headers })
        ;(rounds[t.id] ??= []).push(r)
        console.log(`  ${String(connections).padStart(4)} conns  ${t.id.padEnd(13)} ${Math.round(r.rps)} req/s  p99 ${r.latencyMs.p99.toFixed(1)} ms  non2xx ${r.non2xx} errors ${r.errors}`)
      }
    }
    for (const [id, rs] of Object.entries(rounds)) {
      const rps = rs.map((r) => r.rps).sort((a, b) => a - b)
      const best = rs.reduce((a, b) => (b.rps > a.rps ? b : a))
      results[connections][id] = { rps: median(rps), rounds: rps, latencyMs: best.latencyMs, non2xx: sum(rs.map((r) => r.non2xx)), errors: sum(rs.map((r) => r.errors)), tool: best.tool }
    }
  }
  return results
}

/**
 * With --pin, run `measure` with the fake upstream and the load generator on CPU 0 and the target
 * alone on CPU 1 (for "direct" the fake is the target, and stays on CPU 0 with the load generator,
 * as it is for every other target); every process gets both CPUs back afterwards.
 */
async function pinned(target, measure) {
  if (!flags.pin) return measure(undefined)
  const fakePid = (target.fakeChild ?? target.fake)?.pid
  if (fakePid) pin(fakePid, '0')
  if (target.child) pin(target.child.pid, '1')
  try {
    return await measure('0')
  } finally {
    if (fakePid) pin(fakePid, '0-1')
    if (target.child) pin(target.child.pid, '0-1')
  }
}

/**
 * Open-loop rounds, interleaved: round 1 of every target, then round 2 of every target (in the
 * reverse order: `roundOrder`), … Each
 * round warms up first (`warmupS` before round 1, `roundWarmupS` before the later ones: for latency as
 * long as the first — a target idle while the others ran needs seconds to be back at its steady state), and the
 * percentiles are taken over the pooled samples of all rounds — so a VM hiccup lands in one round of
 * one target instead of deciding that target's p99 alone. Per-round p50/p99 are kept for the spread.
 */
async function openLoopRounds(targets, { label, rate, durationS, warmupS, roundWarmupS = Math.min(1, warmupS), rounds, stream }) {
  const parts = Object.fromEntries(targets.map((t) => [t.id, { runs: [], remeasured: [], cpuMs: 0, waitMs: 0, stolenMs: 0, wallMs: 0, offered: 0, pid: (t.child ?? t.fakeChild)?.pid }]))
  for (let round = 0; round < rounds; round++) {
    for (const t of roundOrder(targets, round)) {
      const part = parts[t.id]
      const once = async (attempt) => {
        const warm = round === 0 && attempt === 0 ? warmupS : roundWarmupS
        const cpuBefore = part.pid ? cpuMsOf(part.pid) : undefined
        const waitBefore = part.pid ? runQueueWaitMsOf(part.pid) : undefined
        const body = JSON.stringify(chatBody(t.model, stream ? { stream: true } : undefined))
        const run = await pinned(t, (cpus) => runJsonChild(label, join(BENCH, 'load/openloop.mjs'), { url: t.url, rate, durationS, warmupS: warm, connections: 64, pacing: flags.pacing, client: flags.client, stream, raw: true, body, headers: t.headers }, { timeoutMs: 180_000, cpus }))
        // CPU per request counts every attempt (a discarded one served its requests too).
        if (part.pid) {
          part.cpuMs += cpuMsOf(part.pid) - cpuBefore
          part.waitMs += runQueueWaitMsOf(part.pid) - waitBefore
        }
        part.offered += rate * (durationS + warm)
        // The hypervisor's steal over the measured seconds, as the load generator read it.
        run.stealPercent = run.steal.percent
        return run
      }
      // A round the hypervisor took more than stealLimitPercent of the cores from is measured again (bench/README, Caveats).
      const { run, remeasured } = await measureRound(once, { limitPercent: PLAN.stealLimitPercent, retries: PLAN.stealRetries })
      for (const r of remeasured) {
        part.remeasured.push({ round, ...r })
        console.log(`  ${t.id.padEnd(13)} round ${round + 1}: steal ${r.stealPercent.toFixed(1)} % > ${PLAN.stealLimitPercent} % — measured again (p99 was ${(r.ttftP99 ?? r.p99)?.toFixed(2)} ms)`)
      }
      part.stolenMs += run.steal.stolenMs
      part.wallMs += run.steal.wallMs
      part.runs.push(run)
    }
  }
  const out = {}
  for (const t of targets) {
    const { runs, remeasured, cpuMs, waitMs, stolenMs, wallMs, offered, pid } = parts[t.id]
    // The hypervisor's steal over this target's kept rounds (their measured seconds), as a share of all the VM's cores.
    const merged = { ...mergeRounds(runs, { stream }), ...(pid && { cpuUsPerRequest: (cpuMs * 1000) / offered, runQueueWaitUsPerRequest: (waitMs * 1000) / offered }), stealPercent: stealPercent(stolenMs, wallMs), remeasured }
    out[t.id] = merged
    const l = stream ? merged.ttftMs : merged.latencyMs
    const perRound = merged.rounds.map((r) => (stream ? r.ttftMs : r.latencyMs)?.p99?.toFixed(2) ?? '–').join('/')
    console.log(`  ${t.id.padEnd(13)} ${stream ? 'TTFT ' : ''}answered ${Math.round(merged.completedRate)}/s  p50 ${l?.p50.toFixed(3)}  p90 ${l?.p90.toFixed(3)}  p99 ${l?.p99.toFixed(3)} ms (p99 by round ${perRound})  errors ${merged.errors + merged.non2xx}  cpu ${merged.cpuUsPerRequest?.toFixed(0) ?? '–'} µs/req  run-queue wait ${merged.runQueueWaitUsPerRequest?.toFixed(0) ?? '–'} µs/req  steal ${merged.stealPercent.toFixed(1)} %`)
  }
  return out
}

const latency = (targets) => openLoopRounds(targets, { label: 'openloop', rate: PLAN.latRate, durationS: PLAN.latDurationS, warmupS: PLAN.latWarmupS, roundWarmupS: PLAN.latRoundWarmupS, rounds: PLAN.latRounds, stream: false })
const ttft = (targets, rate = PLAN.ttftRate) => openLoopRounds(targets, { label: 'ttft', rate, durationS: PLAN.ttftDurationS, warmupS: PLAN.ttftWarmupS, rounds: PLAN.ttftRounds, stream: true })

/**
 * N concurrent SSE streams held by one gateway process; peak RSS from VmHWM. `gateway` is 'mesh'
 * (ModelMesh with --streams-config, default full) or 'bare' (the bare proxy over h2c: Node's floor).
 */
async function manyStreams(gateway = 'mesh') {
  const fake = await startFake('fake (slow streams)', { chunkDelayMs: PLAN.streamChunkDelayMs, reply: 'x'.repeat(PLAN.streamReplyChars), chunkSize: 5 })
  const port = await freePort()
  const config = flags['streams-config']
  const child =
    gateway === 'bare'
      ? spawnChild('bare h2c', process.execPath, [join(BENCH, 'targets/bare-proxy.mjs'), String(port), `http://127.0.0.1:${fake.port}`, '--h2c'])
      : spawnChild('mesh h2c', process.execPath, [join(BENCH, 'targets/mesh-h2c.mjs'), join(BENCH, 'targets', config), String(port), ...(config.includes('full') ? ['--provision'] : [])], { env: { BENCH_UPSTREAM: fake.baseURL, BENCH_DB: join(DB_DIR, 'streams.db') } })
  try {
    await waitForLine(child, /ready (\d+)/, 30_000)
    const key = /key (\S+)/.exec(child.output)?.[1] ?? 'bench-key'
    const before = memoryOf(child.pid)
    const perClient = Math.ceil(PLAN.streams / PLAN.streamClients)
    const rampPerSec = quick ? 1000 : 500
    const samples = []
    const sampler = setInterval(() => {
      try {
        samples.push(memoryOf(child.pid).rss)
      } catch {}
    }, 250)
    const started = Date.now()
    const body = JSON.stringify(chatBody(gateway === 'bare' ? 'gpt-4o-mini' : 'bench', { stream: true }))
    const clients = await Promise.all(
      Array.from({ length: PLAN.streamClients }, (_, i) =>
        runJsonChild(`streams ${i}`, join(BENCH, 'load/streams.mjs'), { origin: `http://127.0.0.1:${port}`, path: '/v1/chat/completions', streams: Math.min(perClient, PLAN.streams - i * perClient), sessions: Math.ceil(perClient / 100), rampPerSec, body, headers: { authorization: `Bearer ${key}` } }, { timeoutMs: 300_000 }),
      ),
    )
    clearInterval(sampler)
    const after = memoryOf(child.pid)
    const spans = clients.flatMap((c) => c.spans)
    return {
      gateway: gateway === 'bare' ? 'bare proxy (h2c in, undici out)' : `ModelMesh (${config})`,
      config: gateway === 'bare' ? undefined : config,
      streams: PLAN.streams,
      completed: sum(clients.map((c) => c.completed)),
      failed: sum(clients.map((c) => c.failed)),
      firstError: clients.find((c) => c.firstError)?.firstError,
      peakConcurrent: peakOverlap(spans),
      streamSeconds: ((PLAN.streamReplyChars / 5 + 4) * PLAN.streamChunkDelayMs) / 1000,
      wallSeconds: (Date.now() - started) / 1000,
      rssBeforeBytes: before.rss,
      peakRssBytes: after.hwm,
      maxSampledRssBytes: Math.max(...samples),
      transport: 'client → gateway: h2c (HTTP/2 cleartext); gateway → fake: HTTP/1.1, one connection per stream',
    }
  } finally {
    await kill(child)
    await kill(fake.child)
  }
}

function peakOverlap(spans) {
  const events = []
  for (const [start, , end] of spans) events.push([start, 1], [end, -1])
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let open = 0
  let peak = 0
  for (const [, delta] of events) peak = Math.max(peak, (open += delta))
  return peak
}

/** Spawn → first served 200, repeated; plus RSS at that moment. */
async function coldStart(specs, fake) {
  const out = {}
  for (const spec of specs.filter((s) => s.start)) {
    const runs = []
    for (let i = 0; i < PLAN.coldRuns; i++) {
      const port = await freePort()
      const t0 = performance.now()
      const child = await spec.start(port)
      try {
        await waitUntilServing(`http://127.0.0.1:${port}/v1/chat/completions`, chatBody(spec.model), spec.headers, 30_000)
        const ms = performance.now() - t0
        runs.push({ ms, rssBytes: memoryOf(child.pid).rss })
      } finally {
        await kill(child)
      }
    }
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b)
    out[spec.id] = { medianMs: median(ms), minMs: ms[0], maxMs: ms[ms.length - 1], runs: runs.length, rssAtFirstRequestBytes: median(runs.map((r) => r.rssBytes)) }
    console.log(`  ${spec.id.padEnd(13)} ${median(ms).toFixed(0)} ms (min ${ms[0].toFixed(0)}, max ${ms[ms.length - 1].toFixed(0)})`)
  }
  return out
}

/**
 * Work per lone request, counted by callgrind (instructions.mjs): the bare proxy, minimal and full,
 * each serving requests one at a time. Instructions do not move with the VM's load, so this is the
 * steady comparison of what each one costs; the timed scenarios say what this machine made of it.
 */
async function instructionCounts() {
  if (spawnSync('valgrind', ['--version']).error) {
    console.log('  skipped: valgrind is not installed (apt-get install -y valgrind)')
    return { skipped: 'valgrind is not installed' }
  }
  const configs = ['bare', 'mesh-minimal.config.ts', 'mesh-full.config.ts']
  const child = spawnChild('instructions', process.execPath, [join(BENCH, 'instructions.mjs'), '--configs', configs.join(','), '--main-thread', '--warmup', String(PLAN.instructionWarmup), '--requests', String(PLAN.instructionRequests)])
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk.toString()))
  const { code, signal } = await child.exited
  if (code !== 0) throw new Error(`instructions.mjs failed (${code ?? signal})\n${child.output}`)
  const result = JSON.parse(stdout.trim().split('\n').pop())
  const ids = { bare: 'bare', 'mesh-minimal.config.ts': 'mesh-minimal', 'mesh-full.config.ts': 'mesh-full' }
  const perRequest = Object.fromEntries(result.rows.map((row) => [ids[row.config], row.perRequest]))
  for (const [id, n] of Object.entries(perRequest)) console.log(`  ${id.padEnd(13)} ${n.toLocaleString('en-US')} instructions per request`)
  return { requests: result.requests, warmup: result.warmup, perRequest }
}

const median = (sorted) => {
  const s = [...sorted].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sum = (xs) => xs.reduce((a, b) => a + b, 0)

// ── main ─────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  installCleanup()
  for (const file of [MESH_BIN, join(ROOT, 'packages/core/dist/index.js'), join(ROOT, 'packages/testkit/dist/index.js'), join(ROOT, 'packages/providers-openai/dist/index.js')]) {
    if (!existsSync(file)) throw new Error(`${relative(ROOT, file)} is missing: build first (npx --yes pnpm@10.34.8 run build)`)
  }
  if (!existsSync(PORTKEY_BIN)) throw new Error(`Portkey is not installed at ${relative(ROOT, PORTKEY_BIN)}: run npx --yes pnpm@10.34.8 install`)
  const tool = detectTool()
  const startedAt = new Date()
  const report = {
    date: startedAt.toISOString(),
    quick,
    plan: PLAN,
    machine: machine(),
    git: process.env.BENCH_COMMIT ? { commit: process.env.BENCH_COMMIT, dirty: false } : { commit: git(['rev-parse', 'HEAD']), dirty: Boolean(git(['status', '--porcelain', '--', 'packages'])) },
    loadTool: tool,
    pinned: flags.pin,
    pacing: flags.pacing,
    openLoopClient: flags.client,
    helperNodeArgs: HELPER_NODE_ARGS,
    notes: ['ModelMesh full = virtual-key auth + per-key rate limit, usage events and ledger on SQLite (synchronous=normal), pricing/cost/credits with sync settlement, retries and timeouts (targets/mesh-full.config.ts).'],
  }
  if (flags['quiet-machine']) report.quietMachine = quietMachine()
  if (flags['awake-cores']) report.awakeCores = await awakeCores()
  console.log(`ModelMesh bench (${quick ? 'quick' : 'full'}), load tool ${tool}, ${report.machine.cpus} CPUs, node ${process.version}`)

  const fake = await startFake('fake upstream')
  const specs = targetSpecs(fake)
  console.log('targets:')
  const targets = await startTargets(specs, fake)
  targets.find((t) => t.id === 'direct').fakePid = fake.child.pid
  for (const t of targets) t.fake = fake.child
  report.targets = targets.map((t) => ({ id: t.id, label: t.label }))
  report.idleMemory = await idleMemory(targets)

  if (enabled('throughput')) {
    console.log('throughput (closed loop):')
    report.throughput = await throughput(targets, tool)
  }
  if (enabled('latency')) {
    console.log(`overhead latency (open loop, ${PLAN.latRate} req/s):`)
    report.latency = await latency(targets)
  }
  if (enabled('ttft')) {
    console.log(`streaming time to first token (open loop, ${PLAN.ttftRate} streams/s):`)
    report.ttft = await ttft(targets)
    // The same at the latency scenario's rate: what a first token costs when the cores are seldom idle
    // (the goal stays judged at ttftRate; bench/README "Twenty-first session").
    console.log(`streaming time to first token (open loop, ${PLAN.ttftLoadedRate} streams/s):`)
    report.ttftLoaded = await ttft(targets, PLAN.ttftLoadedRate)
  }
  report.peakMemory = Object.fromEntries(targets.map((t) => [t.id, memoryOf(t.child ? t.child.pid : fake.child.pid)]))
  for (const t of targets) if (t.child) await kill(t.child)

  if (enabled('routing')) {
    console.log('routing decision time:')
    report.routing = await runJsonChild('routing', join(BENCH, 'micro/routing.mjs'), { sizes: [10, 1000], budgetMs: PLAN.routingBudgetMs }, { nodeArgs: [] })
    for (const r of report.routing) console.log(`  ${String(r.deployments).padStart(5)} deployments ${r.selection.padEnd(9)} mean ${r.meanUs.toFixed(2)} µs  p99 ${r.p99Us.toFixed(2)} µs`)
  }
  if (enabled('coldstart')) {
    console.log('cold start to first served request:')
    report.coldStart = await coldStart(specs, fake)
  }
  await kill(fake.child)
  if (enabled('instructions')) {
    console.log(`instructions per lone request (callgrind, ${PLAN.instructionRequests} requests after ${PLAN.instructionWarmup}):`)
    report.instructions = await instructionCounts()
  }
  if (enabled('streams')) {
    console.log(`${PLAN.streams} concurrent SSE streams in one ModelMesh process:`)
    report.streams = await manyStreams('mesh')
    for (const s of [report.streams, (report.streamsBare = await manyStreams('bare'))]) {
      console.log(`  ${s.gateway}: completed ${s.completed}/${s.streams}, peak concurrent ${s.peakConcurrent}, peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB`)
    }
  }
  report.machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)))
  report.durationS = (Date.now() - startedAt.getTime()) / 1000

  const dir = flags.out ?? join(BENCH, 'results')
  mkdirSync(dir, { recursive: true })
  const stamp = startedAt.toISOString().replace(/:/g, '-').replace(/\..*/, '') + (quick ? '-quick' : '')
  const markdown = renderMarkdown(report)
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n')
  writeFileSync(join(dir, `${stamp}.md`), markdown)
  writeFileSync(join(dir, 'latest.md'), markdown)
  console.log(`\n${markdown}\nwritten: ${relative(process.cwd(), join(dir, stamp))}.{md,json} and latest.md`)
}

try {
  await main()
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  await killAll()
  rmSync(DB_DIR, { recursive: true, force: true })
}
