// ModelMesh full with the SQLite store's opt-in `workerIdle: true`: its background worker (checkpoints,
// usage rows) runs under SCHED_IDLE, so the event loop is never queued behind it on a core. Not a
// scenario of `pnpm bench`; for `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullidle.config.ts
// --rate 1000` and `node bench/sched.mjs --config mesh-fullidle.config.ts` (bench/README, "Twentieth
// session"). (mesh-full's own store is created but never opened: stores open on first use.)
import { sqlite } from '@modelmesh/stores-sqlite'
import full from './mesh-full.config.js'

const commitDelayMs = process.env.BENCH_COMMIT_DELAY_MS ? Number(process.env.BENCH_COMMIT_DELAY_MS) : undefined
const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', commitDelayMs, workerIdle: true })

export default { ...full, stores: { state: store, ledger: store } }
