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
function configFor(deployments, selection) {
  const targets = Math.min(deployments, 100)
  const keysPer = deployments / targets
  const providers = {}
  for (let t = 0; t < targets; t++) {
    providers[`p${t}`] = openai({ baseURL: `http://127.0.0.1:9/v1`, keys: Array.from({ length: keysPer }, (_, k) => `key-${t}-${k}`) })
  }
  return {
    providers,
    models: { bench: { selection, targets: Object.keys(providers).map((provider, i) => ({ provider, model: 'gpt-4o-mini', ...(pricingAccepted && { pricing: { input: 0.1 + i / 1000, output: 0.4 } }) })) } },
  }
}

let pricingAccepted = true

/** The per-request planning call of whichever engine API the build has. */
function planner(engine) {
  if (engine.planner?.plan) return () => engine.planner.plan({ models: ['bench'], body: BODY }).candidates
  return () => engine.plan(['bench'])
}

function measure(engine) {
  const plan = planner(engine)
  // Warm up so the JIT has compiled the path we time.
  for (let i = 0; i < 2000; i++) plan()
  // Batches: mean time per call, robust to timer resolution.
  const batchMeans = []
  const singles = []
  const end = performance.now() + budgetMs
  while (performance.now() < end) {
    const n = 200
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
  return { meanUs: q(batchMeans, 0.5) / 1000, p99Us: q(singles, 0.99) / 1000, calls: batchMeans.length * 200 + singles.length }
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
console.log(JSON.stringify(results))
process.exit(0)
