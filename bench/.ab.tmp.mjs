// Temporary A/B (not part of the harness): original build vs a patched copy in /tmp/mm-exp.
import { join } from 'node:path'
import { freePort, installCleanup, killAll, runJsonChild, spawnChild, waitForLine, waitUntilServing, memoryOf } from './lib/procs.mjs'
installCleanup()
const B = '/work/main/bench'
const variants = JSON.parse(process.argv[2])
const rounds = Number(process.argv[3] ?? 3)
try {
  const fake = spawnChild('fake', process.execPath, [join(B, 'procs/fake.mjs'), '{}'])
  const [, fp] = await waitForLine(fake, /ready (\d+)/)
  const body = { model: 'bench', messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: 'Hello bench, please answer briefly.' }] }
  const running = []
  for (const v of variants) {
    const port = await freePort()
    const child = spawnChild(v.name, process.execPath, [v.bin, 'start', '--config', v.config, '--port', String(port)], { env: { BENCH_UPSTREAM: `http://127.0.0.1:${fp}/v1` } })
    const url = `http://127.0.0.1:${port}/v1/chat/completions`
    await waitUntilServing(url, body, {})
    await waitUntilServing(url, { ...body, stream: true }, {})
    await new Promise((r) => setTimeout(r, 1000))
    running.push({ ...v, url, child, idle: memoryOf(child.pid).rss })
  }
  for (const v of running) await runJsonChild('w', join(B, 'load/throughput.mjs'), { tool: 'wrk', url: v.url, connections: 100, durationS: 3, body: JSON.stringify(body), headers: {} })
  const res = {}
  for (let r = 0; r < rounds; r++) for (const v of running) {
    const t = await runJsonChild('w', join(B, 'load/throughput.mjs'), { tool: 'wrk', url: v.url, connections: 100, durationS: 6, body: JSON.stringify(body), headers: {} })
    const s = await runJsonChild('w', join(B, 'load/throughput.mjs'), { tool: 'wrk', url: v.url, connections: 100, durationS: 4, body: JSON.stringify({ ...body, stream: true }), headers: {} })
    const l = await runJsonChild('o', join(B, 'load/openloop.mjs'), { url: v.url, rate: 1000, durationS: 5, warmupS: 1, connections: 64, body: JSON.stringify(body), headers: {} })
    const f = await runJsonChild('o', join(B, 'load/openloop.mjs'), { url: v.url, rate: 100, durationS: 5, warmupS: 1, connections: 64, stream: true, body: JSON.stringify({ ...body, stream: true }), headers: {} })
    ;(res[v.name] ??= []).push({ rps: Math.round(t.rps), sseRps: Math.round(s.rps), p50: l.latencyMs.p50.toFixed(3), p99: l.latencyMs.p99.toFixed(3), ttft50: f.ttftMs.p50.toFixed(3), ttft99: f.ttftMs.p99.toFixed(3) })
    console.log(v.name, JSON.stringify(res[v.name].at(-1)))
  }
  for (const v of running) console.log(v.name, 'idle RSS', (v.idle / 1e6).toFixed(1), 'MB')
} finally {
  await killAll()
}
