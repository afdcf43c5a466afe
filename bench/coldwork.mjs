#!/usr/bin/env node
// What the same piece of a request's work costs when it comes after a pause, on this machine: the
// work a gateway does per request in miniature (parse a chat request, hash a key, build and
// stringify an answer: ~20-40 us warm), timed alone, one piece after each pause of 0, 1, 3 and 10 ms
// (the gaps between requests at ~1,000, ~300 and 100 req/s), the pauses interleaved block by block.
// At 100 req/s every process on a proxy's path runs after ~10 ms of idle; if the same instructions
// take several times longer then (cold caches and predictors, a host core that ran something else),
// a hop's cost depends on the rate whatever the proxy does (bench/README, "Twenty-first session").
// Not a test: nothing is judged, the figures describe the machine.
//   node bench/coldwork.mjs [--count 2000] [--gaps 0,1,3,10] [--awake-cores]
// `--awake-cores`: an idle-priority spinner on every CPU meanwhile (lib/awake-cores.mjs), so that no
// virtual CPU halts in the pauses: what is left is the cold execution itself.
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { awakeCores } from './lib/awake-cores.mjs'
import { percentiles } from './lib/open-loop-stats.mjs'
import { awakeNote } from './lib/report.mjs'

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, gaps: { type: 'string', default: '0,1,3,10' }, 'awake-cores': { type: 'boolean', default: false } } })
const count = Number(values.count)
const gaps = values.gaps.split(',').map(Number)
if (!(count > 0) || gaps.some((gap) => !(gap >= 0))) throw new Error('--count must be positive and --gaps a list of milliseconds (0 or more)')
// The spinners end with this process (each asks for a SIGKILL when its parent ends).
if (values['awake-cores']) console.log(awakeNote(await awakeCores()))

const body = JSON.stringify({ model: 'bench', messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: 'Hello bench, please answer briefly.' }], max_tokens: 64 })
const answer = { id: 'chatcmpl-0', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(200) }, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 50, total_tokens: 70 } }
let sink = 0
/** One request's worth of work in miniature; returns its time in microseconds. */
function piece(i) {
  const started = process.hrtime.bigint()
  const request = JSON.parse(body)
  const key = createHash('sha256').update(`mk-${i % 16}-secret`).digest('hex')
  const text = JSON.stringify({ ...answer, id: `chatcmpl-${i}`, model: request.model, created: i, system_fingerprint: key.slice(0, 12) })
  sink += text.length + request.messages.length
  return Number(process.hrtime.bigint() - started) / 1e3
}

// Warm up (JIT), then blocks of 50 pieces per gap, the gaps in turn, until each has `count`.
for (let i = 0; i < 5000; i++) piece(i)
const samples = new Map(gaps.map((gap) => [gap, []]))
for (let done = 0; done < count; done += 50)
  for (const gap of gaps)
    for (let i = 0; i < 50; i++) {
      if (gap > 0) await sleep(gap)
      else await new Promise(setImmediate)
      samples.get(gap).push(piece(done + i))
    }
console.log(`the same work (parse, SHA-256, stringify), ${count} pieces after each pause (us):`)
console.log(`${'pause before each'.padEnd(20)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)}  p50 / p50 without a pause`)
// percentiles() takes microseconds and answers milliseconds.
const base = percentiles(samples.get(gaps[0]))
for (const gap of gaps) {
  const p = percentiles(samples.get(gap))
  const us = (ms) => (ms * 1000).toFixed(1).padStart(7)
  console.log(`${`${gap} ms`.padEnd(20)} ${us(p.p50)} ${us(p.p90)} ${us(p.p99)}  ${(p.p50 / base.p50).toFixed(2)}x`)
}
if (sink < 0) console.log(sink)
process.exit(0)
