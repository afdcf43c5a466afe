#!/usr/bin/env node
// Instructions per request, counted by valgrind's callgrind: the same for the same build, inputs and
// environment whatever else the machine does — unlike CPU time on this VM, which moves ±10 % from run
// to run and hides single-digit changes. Compares builds (checkouts) and configs.
//
//   node bench/instructions.mjs [--roots /work/main,/work/base] [--configs bare,mesh-minimal.config.ts,mesh-full.config.ts]
//                               [--requests 2000] [--warmup 6000] [--node-args '--no-liftoff-only'] [--main-thread] [--by-object] [--keep]
//
// For each root × config, the target runs once under callgrind (every thread counted — V8's
// compiler and GC threads, SQLite's checkpoint worker — or the main thread alone): it serves
// `warmup` requests, callgrind's counters are zeroed (`callgrind_control -z`), it serves `requests`
// more and the counters are dumped (`-d`): the dump is the measured requests' work and nothing else.
// (Until 2026-12-02 03:45 two processes were run, one serving `warmup` and one `warmup + requests`,
// and their totals subtracted: with a long warm-up the two processes' GC and compilation differed by
// more than the requests cost — minimal came out at −52 k per request once.) Requests are sent one
// at a time (a lone request: no batching of the ledger's commits). A config named *full* gets an
// account, credits and a key through the admin API first. Needs valgrind (Debian package); ~1.5 min
// per target with the defaults on this VM. Counts include JIT tiering and GC, so repeat runs differ.
// The default warm-up is 6,000 requests: lone requests tier up slowly, and after 1,200 of them the
// request parser, the validators, `writeReply`, undici's socket reader and Node's `parserOnIncoming`
// were still Sparkplug (baseline) code, optimised by 6,200 (`--perf-basic-prof` map). With a warm-up
// of 20 (the default until 2026-12-02 03:30) the counts weigh that baseline code: bare / minimal /
// full 849 k / 882 k / 1,391 k per request at 1,000 requests, against 412 k / 360 k / 553 k after 6,000.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool, request } from 'undici'
import { chatBody, freePort, installCleanup, killAll, spawnChild, startFake, waitForLine, waitForReady } from './lib/procs.mjs'
import { httpAdmin, provision } from './lib/provision.mjs'
import { objectTotals } from './lib/callgrind-objects.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    roots: { type: 'string', default: join(BENCH, '..') },
    configs: { type: 'string', default: 'mesh-minimal.config.ts' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '6000' },
    // Node/V8 flags for the gateway process, separated by spaces (e.g. '--no-liftoff-only').
    'node-args': { type: 'string', default: '' },
    // Count the main thread only (the event loop), leaving out V8's compiler/GC threads and SQLite's
    // checkpoint worker, whose work follows the run's wall time as much as its requests.
    'main-thread': { type: 'boolean', default: false },
    // Also split each config's per-request count by the binary the instructions ran in (node, the
    // SQLite addon, libc, V8's JIT code: "???"), with callgrind_annotate.
    'by-object': { type: 'boolean', default: false },
    // Keep the callgrind files (their folder is printed) for callgrind_annotate / kcachegrind.
    keep: { type: 'boolean', default: false },
    // More callgrind options, separated by spaces (e.g. '--separate-callers=4': a runtime function's
    // cost split by the JS functions that reached it; with --node-args=--perf-basic-prof to name them).
    'valgrind-args': { type: 'string', default: '' },
  },
})
if (spawnSync('valgrind', ['--version']).error) throw new Error('valgrind is not installed (apt-get install -y valgrind)')
const REQUESTS = Number(values.requests)
const WARMUP = Number(values.warmup)
installCleanup()
const work = mkdtempSync(join(tmpdir(), 'mesh-instructions-'))
const body = JSON.stringify(chatBody())
// The fake knows OpenAI's model names, not the gateway's public ones.
const bareBody = JSON.stringify(chatBody('gpt-4o-mini'))

/** `callgrind_control <command> <pid>`: zero or dump the counters of a running callgrind. */
function control(command, pid) {
  const done = spawnSync('callgrind_control', [command, String(pid)], { encoding: 'utf8', timeout: 120_000 })
  if (done.status !== 0 || !/OK/.test(done.stdout)) throw new Error(`callgrind_control ${command} ${pid} failed: ${done.stdout}${done.stderr}`)
}

/**
 * One target under callgrind: start it, serve `warmup` requests, zero the counters, serve `count`
 * requests, dump. The dump holds exactly the measured requests' instructions (start-up and warm-up
 * are not in it), so nothing depends on two processes doing the same thing.
 */
async function countRun(root, config, warmup, count, fakeOrigin, tag) {
  const port = await freePort()
  const out = join(work, `${tag}.callgrind`)
  const threads = values['main-thread'] ? ['--separate-threads=yes'] : []
  // `bare` is the bare undici proxy (bench/targets/bare-proxy.mjs), the floor the gateway is held to.
  const program = config === 'bare'
    ? [join(root, 'bench/targets/bare-proxy.mjs'), String(port), fakeOrigin]
    : [join(root, 'packages/cli/dist/bin.js'), 'start', '--config', join(root, 'bench/targets', config), '--port', String(port)]
  const mesh = spawnChild(`mesh ${tag}`, 'valgrind', ['--tool=callgrind', '--smc-check=all', ...threads, ...values['valgrind-args'].split(' ').filter(Boolean), `--callgrind-out-file=${out}`, process.execPath, ...values['node-args'].split(' ').filter(Boolean), ...program], {
    env: { BENCH_UPSTREAM: `${fakeOrigin}/v1`, BENCH_DB: join(work, `${tag}.db`) },
  })
  const origin = `http://127.0.0.1:${port}`
  if (config === 'bare') await waitForLine(mesh, /ready \d+/, 600_000)
  else await waitForReady(origin, 600_000)
  const headers = { 'content-type': 'application/json' }
  if (config === 'bare') headers.authorization = 'Bearer x'
  if (config.includes('full')) headers.authorization = `Bearer ${await provision(httpAdmin(origin, request))}`
  const pool = new Pool(origin, { connections: 1 })
  const serve = async (n) => {
    for (let i = 0; i < n; i++) {
      const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body: config === 'bare' ? bareBody : body })
      const text = await response.body.text()
      if (response.statusCode !== 200) throw new Error(`${tag}: request ${i} answered ${response.statusCode}: ${text.slice(0, 200)}`)
    }
  }
  await serve(warmup)
  control('-z', mesh.pid)
  const started = performance.now()
  await serve(count)
  // The rate under callgrind (tens of times slower than natively) says how many lone requests
  // shared one delayed commit of the store (sqlite({ commitDelayMs }): bench/README).
  console.log(`${tag}: ${count} measured requests at ${(count / ((performance.now() - started) / 1000)).toFixed(0)} req/s under callgrind`)
  control('-d', mesh.pid)
  await pool.close()
  // SIGINT: the CLI closes the server and exits (the exit's own dump is not used).
  mesh.kill('SIGINT')
  await mesh.exited
  // The dump's files: `<out>.1` (all threads together) or `<out>.1-<thread>` (thread 01 = the main thread).
  const file = values['main-thread'] ? `${out}.1-01` : `${out}.1`
  const summary = /^summary: (\d+)/m.exec(readFileSync(file, 'utf8'))
  if (!summary) throw new Error(`${tag}: no callgrind summary\n${mesh.output}`)
  // The file's cost lines add up to its `totals:` line, a few % above `summary:` in dumps after `-z`:
  // each binary's share of them, applied to the summary.
  const total = Number(summary[1])
  const objects = values['by-object'] ? objectTotals(readFileSync(file, 'utf8')) : undefined
  const inLines = objects ? Object.values(objects).reduce((sum, n) => sum + n, 0) : 0
  return { total, objects: objects && Object.fromEntries(Object.entries(objects).map(([name, n]) => [name, (n / inLines) * total])) }
}

try {
  const { child: fake, port: fakePort } = await startFake()
  const fakeOrigin = `http://127.0.0.1:${fakePort}`
  const rows = []
  const roots = values.roots.split(',')
  for (const config of values.configs.split(',')) {
    for (const [i, root] of roots.entries()) {
      const tag = `${config.replace('.config.ts', '')}@${i}`
      const run = await countRun(root, config, WARMUP, REQUESTS, fakeOrigin, tag)
      const row = { config, root, perRequest: Math.round(run.total / REQUESTS) }
      if (run.objects) row.perRequestByObject = Object.fromEntries(Object.entries(run.objects).map(([k, v]) => [k, Math.round(v / REQUESTS)]).sort((a, b) => b[1] - a[1]))
      rows.push(row)
      console.log(`${tag.padEnd(24)} ${root}: ${REQUESTS} requests after ${WARMUP}: per request ${row.perRequest.toLocaleString('en-US')}`)
      for (const [k, v] of Object.entries(row.perRequestByObject ?? {}).slice(0, 8)) console.log(`${''.padEnd(26)}${v.toLocaleString('en-US').padStart(12)}  ${k}`)
    }
  }
  console.log(JSON.stringify({ requests: REQUESTS, warmup: WARMUP, rows }))
} finally {
  await killAll()
  if (values.keep) console.log(`callgrind files kept in ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
