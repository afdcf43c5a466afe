// ModelMesh full: what a production gateway switches on — virtual-key auth with a per-key rate limit
// (the bench creates the key through the admin API), usage events and the ledger on SQLite (the
// embedded default store, synchronous=normal: a commit survives a crash of the gateway process; WAL
// checkpoints run in a worker thread; `holds: 'process'`, as docs/stores.md recommends for one gateway
// process per database file: reservation holds in memory, no commit of their own), prices → cost and credits
// (sync settlement: a non-streamed answer is sent after its debit is stored — for a lone request,
// in the store's debit journal, committed to the ledger tables right after: docs/stores.md), retries
// and timeouts.
// The bench passes the fake's base URL in BENCH_UPSTREAM and a throw-away database in BENCH_DB.
import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { sqlite } from '@modelmesh/stores-sqlite'

// BENCH_COMMIT_DELAY_MS: the store's commitDelayMs (default 10 ms), for instructions.mjs — under
// callgrind requests are ~50× slower, so as many share one commit as at 1,000 req/s only with a
// delay ~50× longer (bench/README).
const commitDelayMs = process.env.BENCH_COMMIT_DELAY_MS ? Number(process.env.BENCH_COMMIT_DELAY_MS) : undefined
const store = sqlite({ path: process.env.BENCH_DB ?? '.mesh/bench.db', holds: 'process', commitDelayMs })

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
