// ModelMesh full: everything a production gateway would switch on.
//
// TODAY full = minimal + the routing features that exist in the built packages (two upstream keys →
// two deployments chosen per request, retries, timeouts). Client keys, rate limits, usage events, the
// SQLite ledger and cost do not exist yet (issue 5): add them here when they land (and pricing /
// deactivation once the schema accepts them), and the bench measures them.
import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

const upstream = process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:4010/v1'

export default defineConfig({
  server: { host: '127.0.0.1', port: Number(process.env.MESH_PORT ?? 4000) },
  providers: {
    fake: openai({ baseURL: upstream, keys: ['bench-upstream-key-a', 'bench-upstream-key-b'] }),
  },
  models: {
    bench: {
      targets: [{ provider: 'fake', model: 'gpt-4o-mini' }],
      retry: { attempts: 2 },
      timeout: { firstToken: '15s', total: '120s' },
    },
  },
})
