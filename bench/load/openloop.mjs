// Open-loop load at a fixed rate, in its own process: requests leave on schedule whether or not earlier
// ones were answered (no coordinated omission from a closed loop). Latency is measured per request with
// a monotonic clock, in microseconds, from the moment the request is handed to the connection pool.
//   { url, rate, durationS, warmupS, connections, body, headers, stream, drainS, pacing, raw, sentTimes, client, idleMs }
// idleMs (client c only): an idle connection older than this is closed rather than reused (default 4,000).
// pacing 'clock' (default): a worker thread sleeps until each request's due time (Atomics.wait, which
//   takes fractional milliseconds) and tells the main thread to send it, so requests leave evenly
//   spaced (1 ms apart at 1,000/s) at almost no CPU cost; a late main thread still catches up.
// pacing 'tick': the main thread's 1 ms setTimeout, catching up on late ticks. Node's timers fire
//   ~1.1 ms apart here, so about a third of the requests leave in bursts of two or more (measured:
//   bench/README "Open-loop pacing"), and a target's p50 then includes waiting behind its neighbour.
// A target that cannot keep up builds a queue; after the schedule ends we wait at most drainS (default
// 20 s) for it, then report the rest as `unfinished` (the target is saturated at this rate).
// stream=false: latency = until the whole answer is read.
// stream=true:  ttft = until the first SSE event (`data:`) arrives; total = until the stream ends.
// client 'c': the C client of openloop.c (built on first use; c-client.mjs) runs the whole schedule,
//   pacing by epoll_pwait2's nanosecond timeout; this process only starts it and reads its samples.
//   ~50 µs of CPU a request against ~220 for 'raw', and less of the client's own delay in the direct
//   fake's figures (TTFT 0.26 against 0.59-0.84 ms; the targets' alike): the default of run.mjs and
//   ab.mjs where a C compiler is found (c-client.mjs defaultClient; bench/README "Eighteenth session").
// client 'raw' (the default here, for the diagnostic tools that find the load generator's threads by
//   its process): the lean keep-alive client of raw-http.mjs, pre-encoded request bytes and
//   a callback per answer (about half the CPU per request of undici's Pool here, where this process
//   shares the cores with what it measures). client 'undici': undici's Pool, as every run before
//   the third session of 2026-12-03.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { Worker } from 'node:worker_threads'
import { Pool } from 'undici'
import { percentiles } from '../lib/open-loop-stats.mjs'
import { stealMeter } from '../lib/procs.mjs'
import { cClientBinary, parseCClientLine } from './c-client.mjs'
import { RawPool, encodeRequest } from './raw-http.mjs'

const input = JSON.parse(process.argv[2])
const target = new URL(input.url)
const client = input.client ?? 'raw'
if (!['raw', 'undici', 'c'].includes(client)) throw new Error(`client must be c, raw or undici, not ${client}`)
const headers = { 'content-type': 'application/json', ...input.headers }
const path = target.pathname + target.search
const connections = input.connections ?? 64
const pool = client === 'undici' ? new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 }) : client === 'raw' ? new RawPool(target.origin, { connections }) : undefined
const requestBytes = client === 'undici' ? undefined : encodeRequest({ method: 'POST', url: input.url, headers, body: input.body })

// own: ModelMesh's own overhead per request as it reports it (`x-mesh-overhead-ms`), when it does.
const samples = { latency: [], ttft: [], own: [], sent: [] }
// sentTimes: each measured request's send time on CLOCK_MONOTONIC in ms (as `perf -k CLOCK_MONOTONIC`
// stamps its events), for sched.mjs. performance.now() reads the same clock from another origin.
const monotonicOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now()
let errors = 0
let non2xx = 0
let firstError
let measuring = false
let measureStart = 0
let lastAnswerAt = 0
/** How requests left: dispatches (groups sent together), how many of them were one request alone, the largest group. */
const pacing = { mode: input.pacing ?? 'clock', dispatches: 0, alone: 0, largestBurst: 0 }

/** Records one answer: `started`, `firstAt` and `ended` in ms (performance.now()), `own` the header's text. */
function answered(record, statusCode, text, started, firstAt, ended, own) {
  if (statusCode < 200 || statusCode > 299) {
    non2xx++
    firstError ??= `${statusCode} ${text.slice(0, 200)}`
    return
  }
  if (input.stream && !text.includes('[DONE]')) {
    errors++
    firstError ??= 'stream ended without [DONE]'
    return
  }
  if (!record) return
  lastAnswerAt = performance.now()
  samples.latency.push((ended - started) * 1000)
  if (input.sentTimes) samples.sent.push(started + monotonicOffsetMs)
  if (input.stream) samples.ttft.push((firstAt - started) * 1000)
  if (typeof own === 'string') samples.own.push(Number(own) * 1000)
}

const RAW_OPTIONS = { header: 'x-mesh-overhead-ms', watchData: input.stream === true, keepHead: 200, keepTail: input.stream === true }

/** One request over the raw client; resolves when its answer is read (or it failed). */
function oneRaw() {
  const record = measuring
  const started = performance.now()
  return new Promise((resolve) => {
    pool.request(
      requestBytes,
      (error, answer) => {
        if (error) {
          errors++
          firstError ??= error.message
        } else answered(record, answer.status, input.stream && answer.status < 300 ? answer.tail : answer.head, started, answer.firstDataAt, answer.endedAt, answer.headerValue)
        resolve()
      },
      RAW_OPTIONS,
    )
  })
}

async function oneUndici() {
  const record = measuring
  const started = performance.now()
  try {
    const { statusCode, headers: answerHeaders, body } = await pool.request({ method: 'POST', path, headers, body: input.body })
    let firstAt
    let text = ''
    for await (const chunk of body) {
      if (firstAt === undefined) {
        text += chunk.toString()
        if (!input.stream || text.includes('data:')) firstAt = performance.now()
      } else if (input.stream) text = chunk.toString().slice(-32)
    }
    answered(record, statusCode, text, started, firstAt, performance.now(), answerHeaders['x-mesh-overhead-ms'])
  } catch (error) {
    errors++
    firstError ??= error.message
  }
}

/** The worker of pacing 'clock': posts the number of requests due at each due time, then the schedule's length in ms. */
const CLOCK = `
const { parentPort, workerData: { rate, total } } = require('node:worker_threads')
const cell = new Int32Array(new SharedArrayBuffer(4))
const start = performance.now()
let sent = 0
while (sent < total) {
  const now = performance.now()
  const due = Math.min(total, Math.floor(((now - start) * rate) / 1000))
  if (due > sent) {
    parentPort.postMessage(due - sent)
    sent = due
  }
  const next = start + ((sent + 1) * 1000) / rate
  if (next > performance.now()) Atomics.wait(cell, 0, 0, next - performance.now())
}
parentPort.postMessage({ elapsedMs: performance.now() - start })
`

/** Fire `rate` requests per second for `seconds`; see `pacing` above. */
async function phase(seconds) {
  const inflight = new Set()
  let start = performance.now()
  let sent = 0
  const total = Math.round(input.rate * seconds)
  const send = (n) => {
    if (n > 0 && measuring) {
      pacing.dispatches++
      if (n === 1) pacing.alone++
      if (n > pacing.largestBurst) pacing.largestBurst = n
    }
    for (let i = 0; i < n; i++) {
      sent++
      const p = client === 'undici' ? oneUndici() : oneRaw()
      inflight.add(p)
      p.finally(() => inflight.delete(p))
    }
  }
  if ((input.pacing ?? 'clock') === 'clock') {
    const clock = new Worker(CLOCK, { eval: true, workerData: { rate: input.rate, total } })
    await new Promise((resolve, reject) => {
      clock.on('message', (n) => {
        if (typeof n === 'number') return send(n)
        // The schedule ran in the worker, from its own start (after the worker's start-up).
        start = performance.now() - n.elapsedMs
        resolve()
      })
      clock.once('error', reject)
    })
    await clock.terminate()
  } else {
    await new Promise((resolve) => {
      const tick = () => {
        send(Math.min(total, Math.floor(((performance.now() - start) * input.rate) / 1000)) - sent)
        if (sent >= total) resolve()
        else setTimeout(tick, 1)
      }
      tick()
    })
  }
  const elapsed = (performance.now() - start) / 1000
  const drained = await Promise.race([Promise.all(inflight).then(() => true), new Promise((r) => setTimeout(() => r(false), (input.drainS ?? 20) * 1000).unref())])
  return { sent, elapsed, unfinished: drained ? 0 : inflight.size }
}

/** The whole schedule (warm-up, then measured) by the C client; its samples land in `samples`. */
async function runC() {
  if (target.hostname !== '127.0.0.1') throw new Error(`the C client takes an IPv4 address, not ${target.hostname}`)
  const args = [target.hostname, target.port || '80', input.rate, input.warmupS ?? 0, input.durationS, connections, input.stream ? 1 : 0, 'x-mesh-overhead-ms', input.drainS ?? 20, input.idleMs ?? 4000]
  const child = spawn(cClientBinary(), args.map(String), { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin.end(requestBytes)
  const out = { latency: samples.latency, ttft: samples.ttft, own: samples.own, sent: samples.sent, phases: [], errors: 0, non2xx: 0, firstError: undefined }
  let steal
  let stolen
  for await (const line of createInterface({ input: child.stdout })) {
    parseCClientLine(line, out, () => {
      measureStart = performance.now()
      steal = stealMeter()
    })
    if (line[0] === 'p' && steal && !stolen) stolen = steal()
  }
  const code = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)))
  if (code !== 0 || out.phases.length === 0 || !stolen) throw new Error(`the C client failed (exit code ${code})`)
  errors = out.errors
  non2xx = out.non2xx
  firstError = out.firstError
  const measured = out.phases.at(-1)
  pacing.mode = 'epoll'
  pacing.dispatches = measured.dispatches
  pacing.alone = measured.alone
  pacing.largestBurst = measured.largestBurst
  lastAnswerAt = measureStart + measured.lastAnswerS * 1000
  return { sent: measured.sent, elapsed: measured.elapsed, unfinished: measured.unfinished, stolen }
}

let sent
let elapsed
let unfinished
let stolen
if (client === 'c') ({ sent, elapsed, unfinished, stolen } = await runC())
else {
  if (input.warmupS) await phase(input.warmupS)
  measuring = true
  measureStart = performance.now()
  // The hypervisor's steal over the measured seconds only (the warm-up's is not in the samples).
  const steal = stealMeter()
  ;({ sent, elapsed, unfinished } = await phase(input.durationS))
  stolen = steal()
}
const result = {
  client,
  sent,
  achievedRate: sent / elapsed,
  unfinished,
  // Answers per second of measured time: below the offered rate means the target is saturated.
  completedRate: samples.latency.length / Math.max(elapsed, (lastAnswerAt - measureStart) / 1000),
  errors,
  non2xx,
  firstError,
  latencyMs: percentiles(samples.latency),
  steal: { stolenMs: stolen.stolenMs, wallMs: Math.round(stolen.wallMs), percent: Number(stolen.percent.toFixed(2)) },
  // Share of the measured requests that left alone (not in a burst with others).
  pacing: { mode: pacing.mode, sentAlone: Number((pacing.alone / Math.max(1, sent)).toFixed(4)), largestBurst: pacing.largestBurst },
  ...(input.stream && { ttftMs: percentiles(samples.ttft) }),
  ...(samples.own.length > 0 && { ownOverheadMs: percentiles(samples.own) }),
  // raw: every measured sample (µs), for a caller that pools several rounds before taking percentiles.
  ...(input.raw && { raw: { latency: samples.latency.map(Math.round), ...(input.stream && { ttft: samples.ttft.map(Math.round) }), ...(samples.own.length > 0 && { own: samples.own.map(Math.round) }), ...(input.sentTimes && { sentMonotonicMs: samples.sent.map((ms) => Math.round(ms * 1000) / 1000) }) } }),
}
if (client === 'raw') pool.close()
else if (client === 'c') {
  // nothing to close: the C client has exited
} else if (unfinished) await pool.destroy().catch(() => {})
else await pool.close()
// Exit once the line is written: a raw result of more than ~10 s (hundreds of KB) outlasts the
// pipe's buffer, and process.exit() right after console.log cut it short.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0))
