#!/usr/bin/env node
// What `billing.usageRetention` costs the SQLite store: `pruneUsage` over a backlog of old usage
// events, in process (no HTTP). Records --events usage events (the shape the gateway writes, start
// times one per ms) through `recordUsage` in batches of 1,000, then deletes the oldest
// half with one `pruneUsage(cutoff)` call while a timer samples the event loop. Uses the built store
// (packages/stores-sqlite/dist) on a temporary database file, removed at the end.
//   node bench/micro/usage-prune.mjs [--events 200000] [--worker-start-bytes n]   (sqlite({ workerStartBytes }): when its worker starts)
// Reports the rows deleted, wall time, rows/s, the longest event-loop stall during the prune and the
// file's size before and after (freed pages are reused by later rows; the file does not shrink).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { sqlite } from '@modelmesh/stores-sqlite'

// A usage event as the gateway writes one (metadata only; ~0.9 KB of JSON).
const usageEvent = (requestId, startedAt) => ({
  specificationVersion: 'mesh.usage.v1',
  requestId,
  accountId: 'acct_bench',
  keyId: 'key_bench',
  ingress: 'openai.chat',
  requestedModel: 'bench',
  servedBy: { provider: 'fake', model: 'gpt-4o-mini', deployment: 'fake/gpt-4o-mini#0' },
  stream: false,
  attempts: [{ deployment: 'fake/gpt-4o-mini#0', provider: 'fake', model: 'gpt-4o-mini', outcome: 'success', status: 200, durationMs: 1.25 }],
  usage: { inputTokens: 12, outputTokens: 9, raw: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } },
  cost: { upstreamMicroUsd: 7, marginMicroUsd: 0, billedMicroUsd: 7, pricingVersion: 'bench' },
  timings: { startedAt, overheadMs: 0.1, totalMs: 1.4 },
  status: 200,
  billingReason: 'completed',
})

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, 'worker-start-bytes': { type: 'string' } } })
const EVENTS = Number(values.events)
const dir = mkdtempSync(join(tmpdir(), 'mesh-prune-bench-'))
const path = join(dir, 'mesh.db')
const store = sqlite({ path, holds: 'process', ...(values['worker-start-bytes'] !== undefined ? { workerStartBytes: Number(values['worker-start-bytes']) } : {}) })
try {
  const base = 1_700_000_000_000
  const started = performance.now()
  for (let i = 0; i < EVENTS; i += 1_000) {
    const batch = []
    for (let j = i; j < Math.min(EVENTS, i + 1_000); j++) batch.push(usageEvent(`req_${String(j).padStart(12, '0')}`, base + j))
    await store.recordUsage(batch)
  }
  const recordMs = performance.now() - started
  const sizeBefore = statSync(path).size
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const elu = performance.eventLoopUtilization()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const deleted = await store.pruneUsage(base + EVENTS / 2)
  const pruneMs = performance.now() - t0
  const busy = performance.eventLoopUtilization(elu)
  const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000
  loop.disable()
  const left = (await store.usage({ limit: EVENTS })).length
  console.log(`recorded ${EVENTS.toLocaleString('en')} events in ${(recordMs / 1000).toFixed(1)} s (${Math.round(EVENTS / (recordMs / 1000)).toLocaleString('en')}/s)`)
  console.log(`pruneUsage: ${deleted.toLocaleString('en')} deleted in ${pruneMs.toFixed(0)} ms (${Math.round(deleted / (pruneMs / 1000)).toLocaleString('en')} rows/s, ${(pruneMs / Math.ceil(deleted / 500)).toFixed(2)} ms per 500-row transaction), ${left.toLocaleString('en')} left`)
  console.log(`event loop during the prune: busy ${(busy.active).toFixed(0)} ms of ${pruneMs.toFixed(0)} (the process's CPU, all threads: ${cpuMs.toFixed(0)} ms); max stall ${(loop.max / 1e6).toFixed(2)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(2)} ms`)
  console.log(`file ${(sizeBefore / 1048576).toFixed(1)} MiB before, ${(statSync(path).size / 1048576).toFixed(1)} MiB after`)
  if (deleted !== EVENTS / 2 || left !== EVENTS / 2) throw new Error(`expected ${EVENTS / 2} deleted and ${EVENTS / 2} left`)
} finally {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
