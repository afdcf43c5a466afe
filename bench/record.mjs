#!/usr/bin/env node
// How often each target met the latency goals over the recorded runs (bench/lib/record.mjs).
//   node bench/record.mjs [--since 2026-12-03] [--results bench/results] [--client raw|c|undici] [--awake-cores yes|no]
// Reads every results/<date>.json that measured all scenarios; prints, for the bare proxy, minimal
// and full: p99 overhead ≤ 2 ms and TTFT overhead ≤ 1 ms counts and medians, and the runs where
// p99 was met, with the direct fake's own p99 (a direct p99 raised by one round flatters everyone);
// for minimal and full also how often they did at least as well as the bare proxy in the same run, and
// their own overhead as they report it (x-mesh-overhead-ms).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { recordSummary } from './lib/record.mjs'

const { values } = parseArgs({ options: { since: { type: 'string', default: '' }, client: { type: 'string' }, 'awake-cores': { type: 'string' }, results: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), 'results') } } })
if (![undefined, 'yes', 'no'].includes(values['awake-cores'])) throw new Error(`--awake-cores must be yes or no, not ${values['awake-cores']}`)
const awake = values['awake-cores'] === undefined ? undefined : values['awake-cores'] === 'yes'
const names = readdirSync(values.results).filter((f) => /^\d{4}-\d\d-\d\dT[\d-]+\.json$/.test(f) && f >= values.since).sort()
const { runs, targets } = recordSummary(names.map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(values.results, f), 'utf8'))]), { client: values.client, awake })
const f = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(3)}` : '–')
console.log(`${runs.length} recorded runs with every scenario${values.client ? ` measured with the ${values.client} client` : ''}${awake === undefined ? '' : awake ? ' with --awake-cores' : ' without --awake-cores'}${runs.length ? ` (${runs[0]} … ${runs.at(-1)})` : ''}`)
console.log('target          p99 overhead <= 2 ms   median     TTFT overhead <= 1 ms   median')
for (const t of targets) console.log(`${t.id.padEnd(16)}${`${t.p99Met} of ${t.runs}`.padEnd(23)}${f(t.p99Median).padEnd(11)}${`${t.ttftMet} of ${t.runs}`.padEnd(24)}${f(t.ttftMedian)}`)
for (const t of targets) if (t.loadedRuns) console.log(`${t.id.padEnd(16)}TTFT overhead <= 1 ms at the latency rate: ${t.ttftLoadedMet} of ${t.loadedRuns} (median ${f(t.ttftLoadedMedian)})`)
for (const t of targets)
  if (t.p99AtMostBare !== undefined)
    console.log(`${t.id.padEnd(16)}at most the bare proxy's, same run: p99 ${t.p99AtMostBare} of ${t.runs}, TTFT ${t.ttftAtMostBare} of ${t.runs}${t.ownRuns ? `; own (x-mesh-overhead-ms) p99 <= 2 ms in ${t.ownP99Met} of ${t.ownRuns} (median ${t.ownP99Median.toFixed(3)}), first event p50 <= 1 ms in ${t.ownTtftMet} of ${t.ownRuns} (median ${t.ownTtftMedian.toFixed(3)})` : ''}`)
for (const t of targets) for (const m of t.p99MetIn) console.log(`  p99 met: ${t.id} in ${m.name}: ${f(m.overheadMs)} ms (the direct fake's own p99 ${m.directP99Ms.toFixed(3)} ms)`)
