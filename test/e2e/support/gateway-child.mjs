// A gateway in its own process, for crash and multi-instance tests. It imports the BUILT packages
// (the README's test command builds first) and prints {"port": N} once it listens on 127.0.0.1.
import { serve } from '@hono/node-server'
import { createMesh, defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

const env = process.env
const stores = {}
if (env.MESH_SQLITE_PATH) {
  const { sqlite } = await import('@modelmesh/stores-sqlite')
  // MESH_SQLITE_HOLDS=process: holds in memory, and so the debit journal.
  const db = sqlite({ path: env.MESH_SQLITE_PATH, holds: env.MESH_SQLITE_HOLDS === 'process' ? 'process' : 'shared' })
  stores.state = db
  stores.ledger = db
}
if (env.MESH_REDIS_PREFIX) {
  const { redis } = await import('@modelmesh/stores-redis')
  stores.counters = redis({ url: env.MESH_REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: env.MESH_REDIS_PREFIX })
}
if (env.MESH_POSTGRES_SCHEMA) {
  const { postgres } = await import('@modelmesh/stores-postgres')
  const pg = postgres({ connectionString: env.MESH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema: env.MESH_POSTGRES_SCHEMA })
  stores.state = pg
  stores.ledger = pg
}

const mesh = createMesh(
  defineConfig({
    providers: { up: openai({ baseURL: env.MESH_FAKE_URL, keys: ['upstream-key'] }) },
    models: { smart: { targets: [{ provider: 'up', model: 'm', pricing: { input: 1, output: 2 } }] } },
    auth: { keys: true, keyCacheTtl: env.MESH_KEY_TTL ?? '5s' },
    admin: { key: env.MESH_ADMIN_KEY },
    stores,
  }),
  { onError: (error, id) => console.error(id, error?.message ?? error) },
)
await mesh.ready
const server = serve({ fetch: mesh.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port }) + '\n')
})
const stop = () => server.close(() => mesh.close().then(() => process.exit(0)))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
