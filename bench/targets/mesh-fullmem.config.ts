// ModelMesh full on the in-memory stores: mesh-full.config.ts (key auth, rate limit, usage events,
// prices, sync settlement) with `stores: {}` — the built-in memory ledger instead of SQLite. Not a
// scenario of `pnpm bench`; for `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullmem.config.ts
// --rate 1000`: what SQLite adds to full's latency (its share of the tail).
// (mesh-full's own store is created but never opened: stores open on first use.)
import full from './mesh-full.config.js'

export default { ...full, stores: {} }
