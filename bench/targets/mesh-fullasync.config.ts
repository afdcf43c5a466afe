// ModelMesh full with async settlement: the same as mesh-full.config.ts (key auth, rate limit, usage
// events and ledger on SQLite, prices) except that a non-streamed answer leaves before its debit is
// stored (`billing.settlement: 'async'`). Not one of the bench's targets: a variant for
// `ab.mjs --configs mesh-full.config.ts,mesh-fullasync.config.ts` — what sync settlement costs.
import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { sqlite } from '@modelmesh/stores-sqlite'

const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process' })

export default defineConfig({
  server: { host: '127.0.0.1', port: Number(process.env.MESH_PORT ?? 4000) },
  providers: {
    fake: openai({ baseURL: process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:4010/v1', keys: ['bench-upstream-key'] }),
  },
  models: {
    bench: {
      targets: [{ provider: 'fake', model: 'gpt-4o-mini', pricing: { input: 0.15, output: 0.6 } }],
      retry: { attempts: 2 },
      timeout: { firstToken: '15s', total: '120s' },
    },
  },
  auth: { keys: true },
  admin: { key: process.env.BENCH_ADMIN_KEY ?? 'bench-admin-key-not-secret' },
  stores: { state: store, ledger: store },
  billing: { settlement: 'async' },
})
