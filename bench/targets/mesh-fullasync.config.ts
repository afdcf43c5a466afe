// ModelMesh full with async settlement: mesh-full.config.ts (key auth, rate limit, usage events and
// the ledger on SQLite, prices) except that a non-streamed answer leaves before its debit is stored
// (`billing.settlement: 'async'`). Not one of the bench's targets: a variant for
// `ab.mjs --configs mesh-full.config.ts,mesh-fullasync.config.ts` — what sync settlement costs.
import full from './mesh-full.config.js'

export default { ...full, billing: { ...full.billing, settlement: 'async' as const } }
