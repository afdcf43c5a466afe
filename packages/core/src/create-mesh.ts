import { createHash } from 'node:crypto'
import type { Hono } from 'hono'
import type { SecretStoreV1 } from './contracts/secret-store.js'
import { ConfigError } from './errors/config-error.js'
import type { MeshConfig } from './config/define-config.js'
import { normalizeConfig, type MeshIR } from './config/normalize.js'
import { validateConfig } from './config/validate.js'
import { createBilling, type Billing } from './billing/create-billing.js'
import { MeshEngine, type EngineOptions } from './engine/mesh-engine.js'
import { createApp, type AppRuntime, type CompletionRecord } from './http/app.js'
import { createNodeListener, type NodeListener } from './http/node-listener.js'
import { buildRoutingTable, type RoutingTable } from './routing/table.js'
import { envSecrets } from './secrets/env-secrets.js'
import { resolveCredentials } from './secrets/resolve-secrets.js'

export interface CreateMeshOptions extends EngineOptions {
  /** Where unexpected errors go (default: console.error with the request id). */
  onError?: (error: unknown, requestId: string) => void
  onComplete?: (record: CompletionRecord) => void
  /** Run periodic probes, catalogue syncs and the usage retention on timers (default true; tests drive them by hand). */
  background?: boolean
}

export interface Mesh {
  /** The Hono app: serve it, or mount it under a prefix of yours. */
  readonly app: Hono
  /** A standard `(Request) => Promise<Response>` handler for any server. */
  readonly fetch: (request: Request, env?: unknown) => Promise<Response>
  /**
   * A `node:http` (or `node:http2`) request listener: `createServer(mesh.node)`. The chat routes
   * skip the fetch API and write straight to the socket — the fastest way to serve on Node.
   */
  readonly node: NodeListener
  /** Resolves when secrets are resolved and the gateway can serve; rejects with the start-up error. */
  readonly ready: Promise<void>
  /** The engine, once ready: routing state, explain, probes (for admin tooling and tests). */
  readonly engine: Promise<MeshEngine>
  /** Stores, keys, limits and the ledger gate. */
  readonly billing: Billing
  readonly ir: MeshIR
  readonly table: RoutingTable
  /** Stop using upstream connections and providers. */
  close(): Promise<void>
}

async function adminHash(ir: MeshIR, stores: readonly SecretStoreV1[]): Promise<string | undefined> {
  const admin = ir.admin
  if (!admin) return undefined
  if ('sha256' in admin) return admin.sha256
  for (const store of stores) {
    const value = await store.get(admin.key.$secret)
    if (value !== undefined) return createHash('sha256').update(value).digest('hex')
  }
  throw new ConfigError([{ path: 'admin.key', expected: `secret "${admin.key.$secret}" in one of the secret stores`, found: 'nothing' }])
}

/**
 * Build a gateway from a config. Validation errors throw here (a {@link ConfigError}); secrets are
 * resolved asynchronously, and requests wait for them (`/ready` answers 503 meanwhile).
 */
export function createMesh(config: MeshConfig, options: CreateMeshOptions = {}): Mesh {
  const json = validateConfig(config)
  const ir = normalizeConfig(json, (name) => config.providers[name]?.keys.length ?? 0)
  const table = buildRoutingTable(ir)
  const stores = config.secrets ?? [envSecrets()]
  const onError = options.onError ?? ((error, requestId) => console.error(`[modelmesh] ${requestId}:`, error))
  const now = options.clock?.now ?? Date.now
  const billing = createBilling(config, ir, now, (error) => onError(error, 'billing'))
  if (options.background !== false) billing.retention?.start()
  const engine = Promise.all([resolveCredentials(stores, config.providers), billing.started]).then(([credentials]) => {
    const created = new MeshEngine(table, config.providers, credentials, options, ir)
    if (options.background !== false) created.health.start()
    return created
  })
  const ready = engine.then(() => undefined)
  // Surface start-up failures through `ready` and /ready without an unhandled rejection.
  ready.catch(() => {})
  const adminKeyHash = adminHash(ir, stores)
  adminKeyHash.catch(() => {})
  const runtime: AppRuntime = {
    engine,
    adminKeyHash,
    publicModels: table.publicModels,
    bodyLimitBytes: ir.server.bodyLimitBytes,
    startedAt: Date.now(),
    billing,
    now,
    onError,
    ...(options.onComplete ? { onComplete: options.onComplete } : {}),
  }
  const app = createApp(runtime)
  // `env` carries the Node request under @hono/node-server, which lets the body be read directly.
  const fetch = (request: Request, env?: unknown) => Promise.resolve(app.fetch(request, env))
  return {
    app,
    fetch,
    node: createNodeListener(runtime, fetch),
    ready,
    engine,
    billing,
    ir,
    table,
    async close() {
      await engine.then((e) => e.health.stop(), () => {})
      await billing.close()
      await Promise.all(Object.values(config.providers).map((p) => p.close?.()))
    },
  }
}
