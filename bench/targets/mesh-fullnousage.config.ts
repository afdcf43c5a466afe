// ModelMesh full with usage records held back: mesh-full.config.ts with a usage flush interval of
// an hour and no batch limit, so no usage row is written during a bench round (the events pile up
// in memory — a diagnostic, not a setup to run). Not a scenario of `pnpm bench`; for
// `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullnousage.config.ts --rate 1000`: what
// writing usage rows adds to full's latency (bench/README, "Fourth session of 2026-12-02").
import full from './mesh-full.config.js'

export default { ...full, billing: { ...full.billing, usageFlushInterval: '1h', usageBatchSize: 1_000_000 } }
