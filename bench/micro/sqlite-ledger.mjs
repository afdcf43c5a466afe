// SQLite ledger micro-benchmark: what the gateway's billing costs the store per request, in process
// (no HTTP). N concurrent "requests" each do what a billed gateway request does with the ledger:
// reserve (key + account caps, keyId set) → settle → recordUsage([event]). Uses the built store
// (packages/stores-sqlite/dist: run `pnpm --filter @modelmesh/stores-sqlite run build` first) on a
// temporary database file, removed at the end.
//
//   node bench/micro/sqlite-ledger.mjs [--requests 20000] [--concurrency 100] [--warmup 2000]
//                                      [--synchronous full|normal] [--holds shared|process] [--debit-journal on|off]
//                                      [--commit-delay ms] [--usage-batch n] [--store path/to/dist/index.js] [--json]
//
// Reports requests/s, CPU µs per request (process.cpuUsage: user + system, all threads of the
// process), settle latency p50/p99 (call → promise resolved) and the longest event-loop stall.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '2000' },
    synchronous: { type: 'string' },
    // Where reservation holds live: \`shared\` (the store's default, in the file) or \`process\` (in memory).
    holds: { type: 'string', default: 'shared' },
    // With \`--holds process\`: the debit journal (\`on\`, the store's default there) or \`off\`.
    'debit-journal': { type: 'string', default: 'on' },
    // \`sqlite({ commitDelayMs })\`: how long background work (journaled debits, usage rows) may wait for company (the store's default when not given).
    'commit-delay': { type: 'string' },
    // 0: every request awaits its own recordUsage([event]); N: events are recorded N at a time and
    // not awaited, as the gateway's usage writer does (billing.usageBatchSize, default 25).
    'usage-batch': { type: 'string', default: '0' },
    // Experiments: drop these indexes (comma-separated names) before the run, to see what each costs.
    'drop-index': { type: 'string', default: '' },
    // Request ids: \`ordered\` (time-ordered, as the gateway's req_ ids since 2026-12-01), \`random\`
    // (random UUIDs, as before), \`counter\` (req-0, req-1, …).
    ids: { type: 'string', default: 'ordered' },
    json: { type: 'boolean', default: false },
    // Another build of the store to compare with (a path to its dist/index.js).
    store: { type: 'string' },
  },
})
const { sqlite } = await import(args.store ? pathToFileURL(args.store).href : '@modelmesh/stores-sqlite')
const REQUESTS = Number(args.requests)
const CONCURRENCY = Number(args.concurrency)
const WARMUP = Number(args.warmup)

const dir = mkdtempSync(join(tmpdir(), 'mesh-ledger-bench-'))
const store = sqlite({ path: join(dir, 'mesh.db'), holds: args.holds, debitJournal: args['debit-journal'] !== 'off', ...(args['commit-delay'] !== undefined ? { commitDelayMs: Number(args['commit-delay']) } : {}), ...(args.synchronous ? { synchronous: args.synchronous } : {}) })
// \`state\` is a tiny write that opens the file and applies the schema; indexes are dropped after it.
await store.save('bench:open', '1')
for (const index of args['drop-index'].split(',').filter(Boolean)) {
  // better-sqlite3 as the store itself resolves it (it is not a dependency of the bench).
  const Database = createRequire(fileURLToPath(import.meta.resolve(args.store ? pathToFileURL(args.store).href : '@modelmesh/stores-sqlite')))('better-sqlite3')
  const raw = new Database(join(dir, 'mesh.db'))
  raw.exec(`DROP INDEX ${index}`)
  raw.close()
}

const accountId = 'acct_bench'
const keyId = 'key_bench'
// Caps as the gate passes them for a key with a daily + monthly cap on an account with a monthly cap.
const caps = [
  { scope: 'key', period: 'day', limitMicroUsd: 1e12 },
  { scope: 'key', period: 'month', limitMicroUsd: 1e13 },
  { scope: 'account', period: 'month', limitMicroUsd: 1e14 },
]
await store.putAccount({ id: accountId, name: 'bench', spendCapMicroUsd: { monthly: 1e14 }, createdAt: Date.now() })
await store.append({ accountId, kind: 'grant', amountMicroUsd: 1e15, requestId: 'grant-bench' })

const usageEvent = (requestId, startedAt) => ({
  specificationVersion: 'mesh.usage.v1',
  requestId,
  accountId,
  keyId,
  ingress: 'openai.chat',
  requestedModel: 'bench',
  servedBy: { provider: 'fake', model: 'gpt-4o-mini', deployment: 'fake/gpt-4o-mini#0' },
  stream: false,
  attempts: [{ deployment: 'fake/gpt-4o-mini#0', provider: 'fake', model: 'gpt-4o-mini', outcome: 'success', status: 200, durationMs: 1.2 }],
  usage: { inputTokens: 12, outputTokens: 9 },
  cost: { upstreamMicroUsd: 7, marginMicroUsd: 0, billedMicroUsd: 7, pricingVersion: 'bench' },
  timings: { startedAt, overheadMs: 0.3, totalMs: 1.5 },
  status: 200,
  billingReason: 'completed',
})

let sequence = 0
const hex = () => globalThis.crypto.randomUUID().replaceAll('-', '')
const nextRequestId = {
  ordered: () => 'req_' + Date.now().toString(16).padStart(12, '0') + '7' + hex().slice(13),
  random: () => 'req_' + hex(),
  counter: () => `req-${sequence++}`,
}[args.ids]
if (!nextRequestId) throw new Error(`--ids must be ordered, random or counter, not ${args.ids}`)
let settleTimes = []
let refused = 0

async function oneRequest() {
  const requestId = nextRequestId()
  const now = Date.now()
  // `fresh`: the gateway's own request ids (no Idempotency-Key) are new, as here.
  const held = await store.reserve(accountId, requestId, 2_000, { keyId, caps, now, fresh: true })
  if (!held.ok) {
    refused++
    return
  }
  const t0 = process.hrtime.bigint()
  await store.settle(accountId, requestId, 7, { keyId })
  settleTimes.push(Number(process.hrtime.bigint() - t0) / 1e3)
  if (USAGE_BATCH === 0) return store.recordUsage([usageEvent(requestId, now)])
  usageEvents.push(usageEvent(requestId, now))
  if (usageEvents.length >= USAGE_BATCH) recording.push(store.recordUsage(usageEvents.splice(0)))
}
const USAGE_BATCH = Number(args['usage-batch'])
const usageEvents = []
const recording = []

/** `total` requests, `concurrency` in flight at a time (closed loop). */
async function run(total) {
  let started = 0
  const worker = async () => {
    while (started < total) {
      started++
      await oneRequest()
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, total) }, worker))
  if (usageEvents.length) recording.push(store.recordUsage(usageEvents.splice(0)))
  await Promise.all(recording.splice(0))
}

await run(WARMUP)
settleTimes = []
refused = 0
const loop = monitorEventLoopDelay({ resolution: 1 })
loop.enable()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await run(REQUESTS)
const elapsedMs = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
loop.disable()
await store.close()
rmSync(dir, { recursive: true, force: true })

const sorted = settleTimes.sort((a, b) => a - b)
const q = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
const result = {
  requests: REQUESTS,
  concurrency: CONCURRENCY,
  synchronous: args.synchronous ?? 'default',
  ids: args.ids,
  refused,
  reqPerSec: Math.round((REQUESTS / elapsedMs) * 1000),
  cpuUsPerRequest: Number(((cpu.user + cpu.system) / REQUESTS).toFixed(1)),
  cpuUserUsPerRequest: Number((cpu.user / REQUESTS).toFixed(1)),
  settleP50Ms: Number((q(0.5) / 1e3).toFixed(3)),
  settleP99Ms: Number((q(0.99) / 1e3).toFixed(3)),
  eventLoopMaxStallMs: Number((loop.max / 1e6).toFixed(2)),
  eventLoopP99Ms: Number((loop.percentile(99) / 1e6).toFixed(2)),
}
if (args.json) console.log(JSON.stringify(result))
else {
  console.log(`sqlite ledger: ${REQUESTS} requests × (reserve → settle → recordUsage), ${CONCURRENCY} concurrent, synchronous=${result.synchronous}, ${args.ids} request ids`)
  console.log(`  ${result.reqPerSec} req/s   CPU ${result.cpuUsPerRequest} µs/request (user ${result.cpuUserUsPerRequest})`)
  console.log(`  settle p50 ${result.settleP50Ms} ms   p99 ${result.settleP99Ms} ms   event loop: p99 delay ${result.eventLoopP99Ms} ms, max stall ${result.eventLoopMaxStallMs} ms`)
  if (refused) console.log(`  ${refused} reservations refused (should be 0)`)
}
