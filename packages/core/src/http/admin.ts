import { createHash, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { openAIChatIngress } from '../dialects/openai-chat/ingress.js'
import type { Billing } from '../billing/create-billing.js'
import type { MeshEngine } from '../engine/mesh-engine.js'
import { mountBillingAdmin } from './admin-billing.js'
import { GatewayError } from '../errors/gateway-error.js'
import { toOpenAIError } from '../dialects/openai-chat/error.js'

export interface AdminRuntime {
  readonly engine: Promise<MeshEngine>
  readonly billing: Billing
  readonly now: () => number
  /** SHA-256 (hex) of the admin credential, once known; undefined disables the admin API. */
  readonly adminKeyHash: Promise<string | undefined>
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function fail(c: Context, error: GatewayError): Response {
  return c.json(toOpenAIError(error), error.status as 400)
}

/**
 * `/admin/v1`: explain, pool status, manual standby / reactivation, probes and catalogue sync.
 * It takes its own credential (`admin.key`), never a client key, compared in constant time.
 */
export function createAdminApp(runtime: AdminRuntime): Hono {
  const admin = new Hono()
  admin.use('*', async (c, next) => {
    const expected = await runtime.adminKeyHash.catch(() => undefined)
    if (!expected) return fail(c, new GatewayError({ status: 404, type: 'not_found_error', code: 'admin_disabled', message: 'The admin API is disabled: set `admin.key` in the config to enable it.' }))
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1]
    if (!given || !timingSafeEqual(sha256(given), Buffer.from(expected, 'hex'))) {
      return fail(c, new GatewayError({ status: 401, type: 'authentication_error', code: 'invalid_admin_key', message: 'The admin API needs `Authorization: Bearer <admin key>`.' }))
    }
    await next()
  })

  admin.post('/explain', async (c) => {
    const parsed = openAIChatIngress.parseRequest(await c.req.text())
    const engine = await runtime.engine
    const sessionId = c.req.header('x-session-id')
    return c.json(engine.explain({ body: parsed.body, models: parsed.models, ...(sessionId ? { sessionId } : {}) }))
  })
  admin.get('/pools', async (c) => c.json({ pools: (await runtime.engine).status() }))

  const setStatus = (status: 'active' | 'standby', kind: 'deployment' | 'provider') =>
    admin.post(`/${kind}s/${status === 'active' ? 'activate' : 'deactivate'}`, async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>
      const target = body[kind]
      if (typeof target !== 'string') return fail(c, GatewayError.invalidRequest(`Missing required parameter: '${kind}'.`, kind))
      const changed = (await runtime.engine).setStatus({ [kind]: target }, status)
      if (changed === 0) return fail(c, new GatewayError({ status: 404, type: 'not_found_error', message: `No ${kind} "${target}".`, param: kind }))
      return c.json({ [kind]: target, status, changed })
    })
  setStatus('active', 'deployment')
  setStatus('standby', 'deployment')
  setStatus('active', 'provider')
  setStatus('standby', 'provider')

  admin.post('/probe', async (c) => {
    const { deployment } = (await c.req.json().catch(() => ({}))) as { deployment?: unknown }
    const engine = await runtime.engine
    if (typeof deployment !== 'string' || !engine.table.deployments.has(deployment)) return fail(c, GatewayError.invalidRequest(`Unknown deployment ${JSON.stringify(deployment)}.`, 'deployment'))
    return c.json(await engine.health.probe(deployment))
  })
  admin.post('/sync', async (c) => c.json({ providers: await (await runtime.engine).health.sync() }))
  mountBillingAdmin(admin, runtime.billing, runtime.now)
  admin.onError((error, c) => {
    if (GatewayError.isInstance(error)) return fail(c, error)
    throw error
  })
  return admin
}
