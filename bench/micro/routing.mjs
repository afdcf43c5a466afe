// Routing decision time: how long MeshEngine.plan([model]) takes for a pool of N deployments.
// In-process microbenchmark (no HTTP), in its own child process. Input JSON: { sizes, iterations }.
import { buildRoutingTable, MeshEngine, normalizeConfig, validateConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

const { sizes = [10, 1000], selections = ['priority', 'weighted'], budgetMs = 1500 } = JSON.parse(process.argv[2] ?? '{}')

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
    models: { bench: { selection, targets: Object.keys(providers).map((provider) => ({ provider, model: 'gpt-4o-mini' })) } },
  }
}

function measure(engine) {
  const plan = () => engine.plan(['bench'])
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

const results = []
for (const size of sizes) {
  for (const selection of selections) {
    const config = configFor(size, selection)
    const json = validateConfig(config)
    const ir = normalizeConfig(json, (name) => config.providers[name]?.keys.length ?? 0)
    const table = buildRoutingTable(ir)
    const credentials = new Map(Object.entries(config.providers).map(([name, p]) => [name, p.keys]))
    const engine = new MeshEngine(table, config.providers, credentials)
    const planned = engine.plan(['bench']).length
    results.push({ deployments: size, selection, planned, ...measure(engine) })
  }
}
console.log(JSON.stringify(results))
