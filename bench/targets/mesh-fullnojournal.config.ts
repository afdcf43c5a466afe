// ModelMesh full without the SQLite store's debit journal (`debitJournal: false`): every lone
// settlement is committed before its answer leaves, as before 2026-12-02. Not a scenario of
// `pnpm bench`; for `node bench/ab.mjs --configs mesh-full.config.ts,mesh-fullnojournal.config.ts --rate 1000`.
import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { sqlite } from '@modelmesh/stores-sqlite'

const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', debitJournal: false })

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
  billing: { settlement: 'sync' },
})
