// ModelMesh full with the SQLite store's experimental `debitsInWorker: true`: the background worker
// commits the journaled debits once it runs, off the event loop. Not a scenario of `pnpm bench`; for
// `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullworker.config.ts --rate 1000` (bench/README,
// "Session of 2026-12-02 afternoon").
// (mesh-full's own store is created but never opened: stores open on first use.)
import { sqlite } from '@modelmesh/stores-sqlite'
import full from './mesh-full.config.js'

const commitDelayMs = process.env.BENCH_COMMIT_DELAY_MS ? Number(process.env.BENCH_COMMIT_DELAY_MS) : undefined
const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', commitDelayMs, debitsInWorker: true })

export default { ...full, stores: { state: store, ledger: store } }
