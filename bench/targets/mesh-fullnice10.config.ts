// ModelMesh full with the SQLite store's background worker at a lower priority than the event loop
// (`workerNice: 10`; the default leaves it at the process's). Not a scenario of `pnpm bench`; for
// `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullnice10.config.ts --rate 1000` (bench/README,
// "Session of 2026-12-02 night").
// (mesh-full's own store is created but never opened: stores open on first use.)
import { sqlite } from '@modelmesh/stores-sqlite'
import full from './mesh-full.config.js'

const commitDelayMs = process.env.BENCH_COMMIT_DELAY_MS ? Number(process.env.BENCH_COMMIT_DELAY_MS) : undefined
const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', commitDelayMs, workerNice: 10 })

export default { ...full, stores: { state: store, ledger: store } }
