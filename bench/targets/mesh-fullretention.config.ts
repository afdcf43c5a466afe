// ModelMesh full with a usage retention that deletes as fast as requests come: mesh-full.config.ts
// with `usageRetention: '3s'` and `usageRetentionInterval: '1s'`, so from the third second on each run
// deletes the ~1,000 events of one second at 1,000 req/s — what a production retention ('30d', every
// minute) deletes in the steady state, in smaller, more frequent runs. Not a scenario of `pnpm bench`;
// for `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullretention.config.ts --rate 1000`: what
// the retention adds to full's latency (bench/README, "Twelfth session").
import full from './mesh-full.config.js'

export default { ...full, billing: { ...full.billing, usageRetention: '3s', usageRetentionInterval: '1s' } }
