#!/usr/bin/env node
// Instructions per request, counted by valgrind's callgrind: the same for the same build, inputs and
// environment whatever else the machine does — unlike CPU time on this VM, which moves ±10 % from run
// to run and hides single-digit changes. Compares builds (checkouts) and configs.
//
//   node bench/instructions.mjs [--roots /work/main,/work/base] [--configs mesh-minimal.config.ts,mesh-full.config.ts]
//                               [--requests 200] [--warmup 20] [--node-args '--no-liftoff-only']
//
// For each root × config, `mesh start` runs twice under callgrind (every thread counted: V8's
// compiler and GC threads, SQLite's checkpoint worker): once serving `warmup` requests, once
// `warmup + requests`. The difference, divided by `requests`, is the work of one request after the
// warm-up — start-up, the config load and the first requests' compilation cancel out. Requests are
// sent one at a time (a lone request: no batching of the ledger's commits). A config named *full*
// gets an account, credits and a key through the admin API first. Needs valgrind (Debian package)
// and ~1–1.5 min per run on this VM. Counts include JIT tiering, so repeat runs differ by ~1–2 %.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool, request } from 'undici'
import { freePort, installCleanup, killAll, spawnChild, waitForLine, waitForReady } from './lib/procs.mjs'
import { httpAdmin, provision } from './lib/provision.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    roots: { type: 'string', default: join(BENCH, '..') },
    configs: { type: 'string', default: 'mesh-minimal.config.ts' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    // Node/V8 flags for the gateway process, separated by spaces (e.g. '--no-liftoff-only').
    'node-args': { type: 'string', default: '' },
    // Count the main thread only (the event loop), leaving out V8's compiler/GC threads and SQLite's
    // checkpoint worker, whose work follows the run's wall time as much as its requests.
    'main-thread': { type: 'boolean', default: false },
  },
})
if (spawnSync('valgrind', ['--version']).error) throw new Error('valgrind is not installed (apt-get install -y valgrind)')
const REQUESTS = Number(values.requests)
const WARMUP = Number(values.warmup)
installCleanup()
const work = mkdtempSync(join(tmpdir(), 'mesh-instructions-'))
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: 'Hello bench, please answer briefly.' }] })

/** Instructions of one `mesh start` under callgrind that serves `count` requests. */
async function countRun(root, config, count, fakeOrigin, tag) {
  const port = await freePort()
  const out = join(work, `${tag}.callgrind`)
  const threads = values['main-thread'] ? ['--separate-threads=yes'] : []
  const mesh = spawnChild(`mesh ${tag}`, 'valgrind', ['--tool=callgrind', '--smc-check=all', ...threads, `--callgrind-out-file=${out}`, process.execPath, ...values['node-args'].split(' ').filter(Boolean), join(root, 'packages/cli/dist/bin.js'), 'start', '--config', join(root, 'bench/targets', config), '--port', String(port)], {
    env: { BENCH_UPSTREAM: `${fakeOrigin}/v1`, BENCH_DB: join(work, `${tag}.db`) },
  })
  const origin = `http://127.0.0.1:${port}`
  await waitForReady(origin, 600_000)
  const headers = { 'content-type': 'application/json' }
  if (config.includes('full')) headers.authorization = `Bearer ${await provision(httpAdmin(origin, request))}`
  const pool = new Pool(origin, { connections: 1 })
  for (let i = 0; i < count; i++) {
    const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`${tag}: request ${i} answered ${response.statusCode}: ${text.slice(0, 200)}`)
  }
  await pool.close()
  // SIGINT: the CLI closes the server and exits, and callgrind writes its counts.
  mesh.kill('SIGINT')
  await mesh.exited
  const summary = /^summary: (\d+)/m.exec(readFileSync(values['main-thread'] ? `${out}-01` : out, 'utf8'))
  if (!summary) throw new Error(`${tag}: no callgrind summary\n${mesh.output}`)
  return Number(summary[1])
}

try {
  const fake = spawnChild('fake', process.execPath, [join(BENCH, 'procs/fake.mjs'), '{}'])
  const [, fakePort] = await waitForLine(fake, /ready (\d+)/)
  const fakeOrigin = `http://127.0.0.1:${fakePort}`
  const rows = []
  const roots = values.roots.split(',')
  for (const config of values.configs.split(',')) {
    for (const [i, root] of roots.entries()) {
      const tag = `${config.replace('.config.ts', '')}@${i}`
      const short = await countRun(root, config, WARMUP, fakeOrigin, `${tag}-short`)
      const long = await countRun(root, config, WARMUP + REQUESTS, fakeOrigin, `${tag}-long`)
      const row = { config, root, startAndWarmup: short, perRequest: Math.round((long - short) / REQUESTS) }
      rows.push(row)
      console.log(`${tag.padEnd(24)} ${root}: start + ${WARMUP} requests ${(short / 1e9).toFixed(3)} G instructions; per request ${row.perRequest.toLocaleString('en-US')}`)
    }
  }
  console.log(JSON.stringify({ requests: REQUESTS, warmup: WARMUP, rows }))
} finally {
  await killAll()
  rmSync(work, { recursive: true, force: true })
}
