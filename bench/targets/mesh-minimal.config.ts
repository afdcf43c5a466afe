// ModelMesh minimal: one public model on the fake upstream, no auth, no usage recording.
// The bench passes the fake's base URL in BENCH_UPSTREAM.
import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

export default defineConfig({
  server: { host: '127.0.0.1', port: Number(process.env.MESH_PORT ?? 4000) },
  providers: {
    fake: openai({ baseURL: process.env.BENCH_UPSTREAM ?? 'http://127.0.0.1:4010/v1', keys: ['bench-upstream-key'] }),
  },
  models: {
    bench: { targets: [{ provider: 'fake', model: 'gpt-4o-mini' }] },
  },
})
