// Open-loop load at a fixed rate, in its own process: requests leave on schedule whether or not earlier
// ones were answered (no coordinated omission from a closed loop). Latency is measured per request with
// a monotonic clock, in microseconds, from the moment the request is handed to the connection pool.
//   { url, rate, durationS, warmupS, connections, body, headers, stream, drainS }
// A target that cannot keep up builds a queue; after the schedule ends we wait at most drainS (default
// 20 s) for it, then report the rest as `unfinished` (the target is saturated at this rate).
// stream=false: latency = until the whole answer is read.
// stream=true:  ttft = until the first SSE event (`data:`) arrives; total = until the stream ends.
import { Pool } from 'undici'

const input = JSON.parse(process.argv[2])
const target = new URL(input.url)
const pool = new Pool(target.origin, { connections: input.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 })
const headers = { 'content-type': 'application/json', ...input.headers }
const path = target.pathname + target.search

const samples = { latency: [], ttft: [] }
let errors = 0
let non2xx = 0
let firstError
let measuring = false
let measureStart = 0
let lastAnswerAt = 0

async function one() {
  const record = measuring
  const started = process.hrtime.bigint()
  try {
    const { statusCode, body } = await pool.request({ method: 'POST', path, headers, body: input.body })
    let firstAt
    let text = ''
    for await (const chunk of body) {
      if (firstAt === undefined) {
        text += chunk.toString()
        if (!input.stream || text.includes('data:')) firstAt = process.hrtime.bigint()
      } else if (input.stream) text = chunk.toString().slice(-32)
    }
    const ended = process.hrtime.bigint()
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
    samples.latency.push(Number(ended - started) / 1000)
    if (input.stream) samples.ttft.push(Number(firstAt - started) / 1000)
  } catch (error) {
    errors++
    firstError ??= error.message
  }
}

/** Fire `rate` requests per second for `seconds`, on a 1 ms timer, catching up on late ticks. */
async function phase(seconds) {
  const inflight = new Set()
  const start = performance.now()
  let sent = 0
  const total = Math.round(input.rate * seconds)
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * input.rate) / 1000))
      while (sent < due) {
        sent++
        const p = one()
        inflight.add(p)
        p.finally(() => inflight.delete(p))
      }
      if (sent >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  const elapsed = (performance.now() - start) / 1000
  const drained = await Promise.race([Promise.all(inflight).then(() => true), new Promise((r) => setTimeout(() => r(false), (input.drainS ?? 20) * 1000).unref())])
  return { sent, elapsed, unfinished: drained ? 0 : inflight.size }
}

function percentiles(values) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] / 1000
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] / 1000, count: sorted.length }
}

if (input.warmupS) await phase(input.warmupS)
measuring = true
measureStart = performance.now()
const { sent, elapsed, unfinished } = await phase(input.durationS)
const result = {
  sent,
  achievedRate: sent / elapsed,
  unfinished,
  // Answers per second of measured time: below the offered rate means the target is saturated.
  completedRate: samples.latency.length / Math.max(elapsed, (lastAnswerAt - measureStart) / 1000),
  errors,
  non2xx,
  firstError,
  latencyMs: percentiles(samples.latency),
  ...(input.stream && { ttftMs: percentiles(samples.ttft) }),
}
console.log(JSON.stringify(result))
if (unfinished) await pool.destroy().catch(() => {})
else await pool.close()
process.exit(0)
