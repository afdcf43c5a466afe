#!/usr/bin/env node
// How long this machine takes to wake a sleeping process, on the same core and across cores, with
// the cores kept busy or left idle between wake-ups (micro/wakeup.c, built with the machine's cc).
// A request through a proxy at 1,000 req/s wakes the proxy and is woken back twice more than one
// sent to the upstream directly, and between requests the cores go idle: on a VM whose idle virtual
// CPUs must be woken by the hypervisor, that wake-up is part of every hop's latency (bench/README,
// "Eighteenth session"). Not a test: nothing is judged, the figures describe the machine.
//   node bench/wakeup.mjs [--count 5000] [--gap 1000]
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildC } from './load/c-client.mjs'

const { values } = parseArgs({ options: { count: { type: 'string', default: '5000' }, gap: { type: 'string', default: '1000' } } })
const binary = buildC(join(dirname(fileURLToPath(import.meta.url)), 'micro', 'wakeup.c'), 'wakeup')
const other = cpus().length > 1 ? 1 : 0
const cases = [
  ['same core, back to back', 0, 0, 0],
  [`same core, ${values.gap} µs idle before each`, Number(values.gap), 0, 0],
  ['two cores, back to back', 0, 0, other],
  [`two cores, ${values.gap} µs idle before each`, Number(values.gap), 0, other],
  [`not pinned, ${values.gap} µs idle before each`, Number(values.gap), -1, -1],
]
console.log(`round trip over two pipes between two processes, ${values.count} times each (µs):`)
// The share of round trips above 1 and 2 ms: a request through a proxy makes two more wake-ups than
// one sent directly, so a rare slow wake-up sets the p99 of a hop once it happens to ~0.5 % of them.
console.log(`${'case'.padEnd(44)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(8)} ${'> 1 ms'.padStart(8)} ${'> 2 ms'.padStart(8)}`)
const share = (n) => `${((100 * Number(n)) / Number(values.count)).toFixed(2)} %`
for (const [label, gap, a, b] of cases) {
  const [p50, p90, p99, max, over1, over2] = execFileSync(binary, [values.count, String(gap), String(a), String(b)], { encoding: 'utf8' }).trim().split(' ')
  console.log(`${label.padEnd(44)} ${p50.padStart(7)} ${p90.padStart(7)} ${p99.padStart(7)} ${max.padStart(8)} ${share(over1).padStart(8)} ${share(over2).padStart(8)}`)
}
