// ModelMesh full with the usage writer's batch size before 2026-12-02 (`billing.usageBatchSize: 200`
// instead of the default 25). Not a scenario of `pnpm bench`; for
// `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullb200.config.ts [--rate 1000 | --connections 100]`.
import full from './mesh-full.config.js'

export default { ...full, billing: { ...full.billing, usageBatchSize: 200 } }
