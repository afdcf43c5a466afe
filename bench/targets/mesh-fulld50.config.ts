// ModelMesh full with the SQLite store's `commitDelayMs: 50` (default 10): journaled debits wait up to
// 50 ms to share one commit, so the event loop runs ~20 commit batches a second at 1,000 req/s instead
// of ~100. Not a scenario of `pnpm bench`; for
// `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fulld50.config.ts --rate 1000` (bench/README).
// (mesh-full's own store is created but never opened: stores open on first use.)
import { sqlite } from '@modelmesh/stores-sqlite'
import full from './mesh-full.config.js'

const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', commitDelayMs: 50 })

export default { ...full, stores: { state: store, ledger: store } }
