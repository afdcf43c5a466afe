// Routing decision time: how long the engine's plan for one request takes for a pool of N deployments
// (the full ordered failover list, as the engine computes it per request). In-process microbenchmark
// (no HTTP), in its own child process. Input JSON: { sizes, selections, budgetMs }.
import { buildRoutingTable, MeshEngine, normalizeConfig, SELECTION_STRATEGIES, validateConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

const input = JSON.parse(process.argv[2] ?? '{}')
const { sizes = [10, 1000], budgetMs = 1500 } = input
// Every selection strategy the built core knows (priority and weighted on older builds).
const selections = input.selections ?? SELECTION_STRATEGIES ?? ['priority', 'weighted']
const BODY = { model: 'bench', messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: 'Hello bench' }] }

/** N deployments: up to 100 targets (one provider each) × enough keys per provider. */
function configFor(deployments, selection, maxRpm, maintenanceWindow) {
  const targets = Math.min(deployments, 100)
  const keysPer = deployments / targets
  const providers = {}
  for (let t = 0; t < targets; t++) {
    providers[`p${t}`] = openai({ baseURL: `http://127.0.0.1:9/v1`, keys: Array.from({ length: keysPer }, (_, k) => `key-${t}-${k}`) })
  }
  return {
    providers,
    models: { bench: { selection, ...(maintenanceWindow && { deactivate: { maintenanceWindow } }), targets: Object.keys(providers).map((provider, i) => ({ provider, model: 'gpt-4o-mini', ...(pricingAccepted && { pricing: { input: 0.1 + i / 1000, output: 0.4 } }), ...(maxRpm && { maxRpm }) })) } },
  }
}

let pricingAccepted = true

/** The per-request planning call of whichever engine API the build has. */
function planner(engine) {
  if (engine.planner?.plan) return () => engine.planner.plan({ models: ['bench'], body: BODY }).candidates
  return () => engine.plan(['bench'])
}

function measure(engine, { warmup = 2000, batch = 200 } = {}) {
  const plan = planner(engine)
  // Warm up so the JIT has compiled the path we time.
  for (let i = 0; i < warmup; i++) plan()
  // Batches: mean time per call, robust to timer resolution.
  const batchMeans = []
  const singles = []
  const end = performance.now() + budgetMs
  while (performance.now() < end) {
    const n = batch
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) plan()
    batchMeans.push(Number(process.hrtime.bigint() - t0) / n)
    // Single calls for the tail (includes ~50 ns of clock overhead).
    for (let i = 0; i < 20; i++) {
      const s = process.hrtime.bigint()
      plan()
      singles.push(Number(process.hrtime.bigint() - s))
    }
  }
  batchMeans.sort((a, b) => a - b)
  singles.sort((a, b) => a - b)
  const q = (arr, p) => arr[Math.min(arr.length - 1, Math.ceil(p * arr.length) - 1)]
  return { meanUs: q(batchMeans, 0.5) / 1000, p99Us: q(singles, 0.99) / 1000, calls: batchMeans.length * batch + singles.length }
}

function compile(config) {
  const json = validateConfig(config)
  return normalizeConfig(json, (name) => config.providers[name]?.keys.length ?? 0)
}

const results = []
for (const size of sizes) {
  for (const selection of selections) {
    let config = configFor(size, selection)
    let ir
    try {
      ir = compile(config)
    } catch {
      // Older builds do not know target pricing.
      pricingAccepted = false
      config = configFor(size, selection)
      ir = compile(config)
    }
    const table = buildRoutingTable(ir)
    const credentials = new Map(Object.entries(config.providers).map(([name, p]) => [name, p.keys]))
    const engine = new MeshEngine(table, config.providers, credentials, {}, ir)
    const planned = planner(engine)().length
    results.push({ deployments: size, selection, planned, ...measure(engine) })
  }
}
// A pool under load: rate-limit-headroom with `maxRpm` on every target and 1,500 requests started
// on every deployment in the last minute (the strategy counts them per candidate). Sizes up to
// 100: before 2026-12-02 one decision took ~6 ms at 100 deployments, so bigger pools would take
// minutes to warm up on older builds.
const LOADED_STARTS = 1500
for (const size of input.loadedSizes ?? sizes.filter((s) => s <= 100).concat(sizes.some((s) => s > 100) ? [100] : [])) {
  const config = configFor(size, 'rate-limit-headroom', 10_000)
  const ir = compile(config)
  const table = buildRoutingTable(ir)
  const credentials = new Map(Object.entries(config.providers).map(([name, p]) => [name, p.keys]))
  const engine = new MeshEngine(table, config.providers, credentials, {}, ir)
  const now = Date.now()
  for (const deployment of table.deployments.values()) {
    for (let j = 0; j < LOADED_STARTS; j++) engine.states.begin(deployment.id, now - 59_000 + Math.floor((j * 58_000) / LOADED_STARTS))
  }
  results.push({ deployments: size, selection: `rate-limit-headroom, maxRpm, ${LOADED_STARTS.toLocaleString('en-US')} starts/min each`, planned: planner(engine)().length, ...measure(engine, { warmup: 200, batch: 20 }) })
}
// A pool with a maintenance window configured (daily at 03:00 UTC for 30 minutes; the run is
// outside it unless it runs then): every deployment's availability asks whether a window is open.
// Before 2026-12-02 that was a croner `nextRun` per deployment per request (~0.25 ms each).
for (const size of input.loadedSizes ?? sizes.filter((s) => s <= 100).concat(sizes.some((s) => s > 100) ? [100] : [])) {
  const config = configFor(size, 'priority', undefined, { cron: '0 3 * * *', duration: '30m' })
  const ir = compile(config)
  const engine = new MeshEngine(buildRoutingTable(ir), config.providers, new Map(Object.entries(config.providers).map(([name, p]) => [name, p.keys])), {}, ir)
  results.push({ deployments: size, selection: 'priority, maintenance window configured', planned: planner(engine)().length, ...measure(engine, { warmup: 50, batch: 5 }) })
}
console.log(JSON.stringify(results))
process.exit(0)
