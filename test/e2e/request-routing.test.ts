import { afterEach, describe, expect, it } from 'vitest'
import { routingSetup, type RoutingSetup } from './routing-helpers.js'

let setup: RoutingSetup | undefined
afterEach(async () => {
  await setup?.close()
  setup = undefined
})

const ADMIN = 'admin-key-for-tests-0123'
const admin = (s: RoutingSetup, path: string, body?: unknown, key: string | null = ADMIN) =>
  s.mesh.fetch(
    new Request(`http://gateway.test/admin/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  )

describe('request-level routing: provider { order, only, ignore, sort, allow_fallbacks, max_price, zdr }', () => {
  const priced = [
    { provider: 'up0', model: 'model-0', pricing: { input: 5, output: 15 } },
    { provider: 'up1', model: 'model-1', pricing: { input: 0.5, output: 1.5 }, zeroDataRetention: true },
    { provider: 'up2', model: 'model-2', pricing: { input: 1, output: 2 } },
  ]

  it('only / ignore / order', async () => {
    setup = await routingSetup(3, { targets: priced })
    expect(setup.served(await setup.ask({ provider: { only: ['up2'] } }))).toBe(2)
    expect(setup.served(await setup.ask({ provider: { ignore: ['up0'] } }))).toBe(1)
    expect(setup.served(await setup.ask({ provider: { order: ['up2', 'up1'] } }))).toBe(2)
  })

  it('sort by price, and max_price excludes what costs more', async () => {
    setup = await routingSetup(3, { targets: priced })
    expect(setup.served(await setup.ask({ provider: { sort: 'price' } }))).toBe(1)
    setup.fakes[1]!.script({ status: 500 })
    const response = await setup.ask({ provider: { sort: 'price', max_price: { prompt: 2 } } })
    expect(setup.served(response)).toBe(2)
    expect(setup.fakes[0]!.calls).toHaveLength(0)
  })

  it('allow_fallbacks: false stops at the ordered providers', async () => {
    setup = await routingSetup(3, { targets: priced })
    setup.fakes[2]!.setDefault({ status: 503 })
    const response = await setup.ask({ provider: { order: ['up2'], allow_fallbacks: false } })
    expect(response.status).toBe(502)
    expect(setup.fakes[0]!.calls.length + setup.fakes[1]!.calls.length).toBe(0)
  })

  it('zdr only allows deployments flagged zero-data-retention', async () => {
    setup = await routingSetup(3, { targets: priced })
    for (let i = 0; i < 3; i++) expect(setup.served(await setup.ask({ provider: { zdr: true } }))).toBe(1)
    setup.fakes[1]!.setDefault({ status: 500 })
    expect((await setup.ask({ provider: { zdr: true } })).status).toBe(502)
    expect(setup.fakes[0]!.calls.length + setup.fakes[2]!.calls.length).toBe(0)
  })

  it('a bad provider object is a 400 before any upstream call', async () => {
    setup = await routingSetup(2)
    const response = await setup.ask({ provider: { sort: 'fastest' } })
    expect(response.status).toBe(400)
    expect((await response.json()).error.param).toBe('provider.sort')
    expect(setup.fakes[0]!.calls.length + setup.fakes[1]!.calls.length).toBe(0)
  })
})

describe('per-request timeouts', () => {
  it('x-mesh-timeout-first-token lowers the pool timeout and fails over', async () => {
    setup = await routingSetup(2)
    setup.fakes[0]!.script({ latencyMs: 2000 })
    const response = await setup.ask({ stream: true }, { 'x-mesh-timeout-first-token': '100ms' })
    expect(setup.served(response)).toBe(1)
    await response.text()
  })

  it('cannot raise a timeout above the configured bound, and rejects nonsense', async () => {
    setup = await routingSetup(2, { timeout: { firstToken: '100ms' } })
    setup.fakes[0]!.script({ latencyMs: 2000 })
    const response = await setup.ask({ stream: true }, { 'x-mesh-timeout-first-token': '60s' })
    expect(setup.served(response)).toBe(1)
    await response.text()
    expect((await setup.ask({}, { 'x-mesh-timeout-total': 'soon' })).status).toBe(400)
  })
})

describe('admin API', () => {
  it('is disabled without admin.key and refuses a wrong key', async () => {
    setup = await routingSetup(1)
    expect((await admin(setup, '/pools')).status).toBe(404)
    await setup.close()
    setup = await routingSetup(1, {}, { admin: { key: ADMIN } })
    expect((await admin(setup, '/pools', undefined, null)).status).toBe(401)
    expect((await admin(setup, '/pools', undefined, 'mk_live_client_key_wrong')).status).toBe(401)
    expect((await admin(setup, '/pools')).status).toBe(200)
  })

  it('pool status shows state, reason, cooldown, breaker, latency and in-flight; manual standby and reactivation work', async () => {
    setup = await routingSetup(2, { recover: { cooldown: '60s' } }, { admin: { key: ADMIN } })
    await setup.ask()
    expect((await admin(setup, '/deployments/deactivate', { deployment: 'up0/model-0#0' })).status).toBe(200)
    const { pools } = await (await admin(setup, '/pools')).json()
    expect(pools[0].members[0]).toMatchObject({ deployment: 'up0/model-0#0', status: 'standby', reason: 'manual', breaker: 'open', inFlight: 0 })
    expect(typeof pools[0].members[0].latencyEwmaMs).toBe('number')
    expect(setup.served(await setup.ask())).toBe(1)
    const explained = await (await admin(setup, '/explain', { model: 'smart', messages: [{ role: 'user', content: 'x' }] })).json()
    expect(explained.excluded).toEqual([{ deployment: 'up0/model-0#0', model: 'smart', reason: 'manual' }])
    await admin(setup, '/providers/activate', { provider: 'up0' })
    expect(setup.served(await setup.ask())).toBe(0)
  })
})

describe('discovery', () => {
  it('sync notifies of new models, deactivates removed ones, and registers new ones when asked', async () => {
    setup = await routingSetup(2, {}, { discovery: { onNewModel: 'register', onDeprecatedModel: 'deactivate' } })
    const engine = await setup.mesh.engine
    const events: string[] = []
    engine.states.onEvent((e) => events.push(`${e.type} ${e.provider ?? ''}/${e.model ?? e.deployment ?? ''}`))
    const result = await engine.health.sync()
    // The fakes list gpt-4o-mini and gpt-4o: model-N is "removed", both ids are new.
    expect(result.map((r) => r.removed)).toEqual([['model-0'], ['model-1']])
    expect(events).toContain('model.removed up0/model-0')
    expect(events).toContain('model.new up0/gpt-4o')
    expect(engine.status()[0]!.members.every((m) => m.status === 'standby' && m.reason === 'model_removed')).toBe(true)
    // Registered: routable as provider/model.
    const response = await setup.ask({ model: 'up1/gpt-4o' })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-model')).toBe('gpt-4o')
  })
})
