// ModelMesh full without the SQLite store's debit journal (`debitJournal: false`): every lone
// settlement is committed before its answer leaves, as before 2026-12-02. Not a scenario of
// `pnpm bench`; for `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullnojournal.config.ts --rate 1000`.
// (mesh-full's own store is created but never opened: stores open on first use.)
import { sqlite } from '@modelmesh/stores-sqlite'
import full from './mesh-full.config.js'

const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', debitJournal: false })

export default { ...full, stores: { state: store, ledger: store } }
