#!/usr/bin/env node
// Where a streamed request's first-token time goes, one request at a time (no load): for each target,
// time to the response headers and to the first SSE event, as the client sees them.
//   node bench/ttft-probe.mjs [--requests 300] [--warmup 20] [--configs mesh-minimal.config.ts,mesh-full.config.ts]
// `--warmup`: requests per target before the measured ones (the first 20 by default; a few thousand
// let V8 optimise the request path, as under the open-loop scenarios' load). `--roots /a,/b`: every config
// from each checkout (builds side by side, as in ab.mjs; default: this one).
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool, request } from 'undici'
import { freePort, installCleanup, killAll, spawnChild, startFake, waitForReady, waitUntilServing } from './lib/procs.mjs'
import { httpAdmin, provision } from './lib/provision.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' }, warmup: { type: 'string', default: '20' }, configs: { type: 'string', default: 'mesh-minimal.config.ts,mesh-full.config.ts' }, roots: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..') }, 'node-args': { type: 'string', default: '' } } })
installCleanup()
const dbDir = mkdtempSync(join(tmpdir(), 'mesh-ttft-probe-'))
const body = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'Hello bench, please answer briefly.' }] })
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]

try {
  const { child: fake, port: fakePort } = await startFake()
  const targets = [{ name: 'direct', origin: `http://127.0.0.1:${fakePort}`, headers: { authorization: 'Bearer x' }, model: 'gpt-4o-mini' }]
  const barePort = await freePort()
  spawnChild('bare', process.execPath, [join(BENCH, 'targets/bare-proxy.mjs'), String(barePort), `http://127.0.0.1:${fakePort}`])
  await waitForReady(`http://127.0.0.1:${barePort}`).catch(() => sleep(500))
  targets.push({ name: 'bare', origin: `http://127.0.0.1:${barePort}`, headers: { authorization: 'Bearer x' }, model: 'gpt-4o-mini' })
  // `--node-args`: alternatives separated by `|` (an empty one: no flags), each given to every config's gateway.
  const variants = values['node-args'].split('|').map((alternative) => alternative.split(' ').filter(Boolean))
  const roots = values.roots.split(',')
  const runs = values.configs.split(',').flatMap((config) => roots.flatMap((root) => variants.map((nodeArgs) => ({ config, root, nodeArgs }))))
  for (const [i, { config, root, nodeArgs }] of runs.entries()) {
    const port = await freePort()
    spawnChild(config, process.execPath, [...nodeArgs, join(root, 'packages/cli/dist/bin.js'), 'start', '--config', join(root, 'bench/targets', config), '--port', String(port)], { env: { BENCH_UPSTREAM: `http://127.0.0.1:${fakePort}/v1`, BENCH_DB: join(dbDir, `${i}.db`) } })
    const origin = `http://127.0.0.1:${port}`
    await waitForReady(origin)
    const headers = config.includes('full') ? { authorization: `Bearer ${await provision(httpAdmin(origin, request))}` } : {}
    targets.push({ name: config.replace('.config.ts', '') + (roots.length > 1 ? ` @${root}` : '') + (variants.length > 1 ? ` [${nodeArgs.join(' ') || 'no flags'}]` : ''), origin, headers, model: 'bench' })
  }
  for (const t of targets) {
    t.pool = new Pool(t.origin, { connections: 4 })
    t.body = body.replace('"bench"', JSON.stringify(t.model))
    t.samples = { headers: [], first: [], end: [] }
    await waitUntilServing(`${t.origin}/v1/chat/completions`, JSON.parse(t.body), t.headers).catch(() => {})
  }
  const warmup = Number(values.warmup)
  for (let i = 0; i < warmup + Number(values.requests); i++) {
    for (const t of targets) {
      const started = process.hrtime.bigint()
      const res = await t.pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...t.headers }, body: t.body })
      const atHeaders = process.hrtime.bigint()
      let first
      for await (const chunk of res.body) if (first === undefined && chunk.toString().includes('data:')) first = process.hrtime.bigint()
      const end = process.hrtime.bigint()
      if (i >= warmup) {
        t.samples.headers.push(Number(atHeaders - started) / 1e3)
        t.samples.first.push(Number(first - started) / 1e3)
        t.samples.end.push(Number(end - started) / 1e3)
      }
      await sleep(2)
    }
  }
  console.log('target'.padEnd(40), 'headers p50', 'first-event p50', 'end p50   (µs, one request at a time)')
  for (const t of targets) console.log(t.name.padEnd(40), String(Math.round(q(t.samples.headers, 0.5))).padStart(11), String(Math.round(q(t.samples.first, 0.5))).padStart(15), String(Math.round(q(t.samples.end, 0.5))).padStart(8))
  for (const t of targets) await t.pool.close()
} finally {
  await killAll()
  rmSync(dbDir, { recursive: true, force: true })
}
