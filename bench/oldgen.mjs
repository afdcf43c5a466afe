#!/usr/bin/env node
// How fast each gateway's old generation grows under open-loop load: the V8 old space's bytes in
// use, read once a second inside the gateway (lib/old-space-probe.mjs), over the seconds in which no
// mark-compact ran. That growth is what scavenges promote plus what is made in old space directly;
// it sets how often mark-compacts come (their concurrent marking takes a core from the event loop,
// the fake and the load generator at 1,000 req/s: full's slow answers, bench/README). Steadier than
// `alloc.mjs --survivors` for before/after, and with no profiler in the process.
//   node bench/oldgen.mjs [--configs mesh-minimal.config.ts,mesh-full.config.ts] [--roots /work/main,/work/base]
//                         [--rate 1000] [--seconds 25] [--warmup 10] [--runs 2]
// Prints, per root × config and run: KB/s, bytes per answered request, and the mark-compacts seen
// (per minute). Nothing is written to bench/results/.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chatBody, installCleanup, kill, killAll, onStdoutLines, runJsonChild, startFake } from './lib/procs.mjs'
import { startGateway } from './lib/gateway.mjs'
import { growthOf, parseOldSpaceLine } from './lib/old-space.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' },
    roots: { type: 'string', default: join(BENCH, '..') },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '10' },
    runs: { type: 'string', default: '2' },
  },
})
installCleanup()
const dir = mkdtempSync(join(tmpdir(), 'mesh-oldgen-'))
const body = JSON.stringify(chatBody())
const rate = Number(values.rate)

try {
  const { child: fake, port: fakePort } = await startFake()
  const roots = values.roots.split(',')
  const rows = []
  for (let run = 0; run < Number(values.runs); run++)
    for (const [r, root] of roots.entries())
      for (const config of values.configs.split(',')) {
        const name = `${config.replace('.config.ts', '')}${roots.length > 1 ? `@${r}` : ''}`
        const g = await startGateway({ root, config, fakePort, dbPath: join(dir, `${rows.length}.db`), nodeArgs: ['--import', join(BENCH, 'lib/old-space-probe.mjs')] })
        await runJsonChild('warm-up', join(BENCH, 'load/openloop.mjs'), { url: g.url, rate, durationS: Number(values.warmup), warmupS: 0, connections: 64, body, headers: g.headers })
        const samples = []
        const stop = onStdoutLines(g.child, (line) => {
          const sample = parseOldSpaceLine(line)
          if (sample) samples.push(sample)
        })
        const result = await runJsonChild('openloop', join(BENCH, 'load/openloop.mjs'), { url: g.url, rate, durationS: Number(values.seconds), warmupS: 0, connections: 64, body, headers: g.headers })
        stop()
        await kill(g.child)
        const { bytesPerSecond, seconds, markCompacts } = growthOf(samples)
        const perRequest = bytesPerSecond / result.completedRate
        rows.push({ name, run, bytesPerSecond, perRequest, seconds, markCompacts })
        console.log(`${name} (run ${run + 1}): old space +${Math.round(bytesPerSecond / 1024)} KB/s = ${Math.round(perRequest)} B per answered request (${Math.round(result.completedRate)}/s; ${seconds} s without a mark-compact), ${markCompacts} mark-compacts in ${samples.length} s`)
      }
  await kill(fake)
  if (Number(values.runs) > 1) {
    console.log('\nmedian B per request:')
    for (const name of new Set(rows.map((row) => row.name))) {
      const xs = rows.filter((row) => row.name === name).map((row) => row.perRequest).sort((a, b) => a - b)
      console.log(`  ${name.padEnd(24)} ${Math.round(xs[Math.floor(xs.length / 2)])}`)
    }
  }
} finally {
  await killAll()
  rmSync(dir, { recursive: true, force: true })
}
