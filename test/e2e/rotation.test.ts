import { afterEach, describe, expect, it } from 'vitest'
import { routingSetup, type RoutingSetup } from './routing-helpers.js'

let setup: RoutingSetup | undefined
afterEach(async () => {
  await setup?.close()
  setup = undefined
})

const statusOf = async (s: RoutingSetup, id: string) => (await s.mesh.engine).status()[0]!.members.find((m) => m.deployment === id)!

describe('deactivation and recovery (fake clock, no sleeps)', () => {
  it('three consecutive failures put a deployment on standby; it returns after cooldown and a passing probe', async () => {
    setup = await routingSetup(2, { deactivate: { consecutiveFailures: 3 }, recover: { cooldown: '60s', probe: true } })
    setup.fakes[0]!.setDefault({ status: 500 })
    for (let i = 0; i < 3; i++) expect(setup.served(await setup.ask())).toBe(1)
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'consecutive_failures', breaker: 'open', cooldownLeftMs: 60_000 })

    // On standby: not tried at all.
    await setup.ask()
    expect(setup.fakes[0]!.calls).toHaveLength(3)

    // Cooldown over, probe fails (upstream still broken): stays on standby for another cooldown.
    setup.clock.advance(60_000)
    const engine = await setup.mesh.engine
    expect((await engine.health.tick())[0]).toMatchObject({ deployment: 'up0/model-0#0', ok: false })
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', cooldownLeftMs: 60_000 })

    // Upstream healed: after the next cooldown the probe passes and traffic returns.
    setup.fakes[0]!.setDefault({ reply: 'healed' })
    setup.clock.advance(60_000)
    expect((await engine.health.tick())[0]).toMatchObject({ ok: true })
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'active', breaker: 'closed', reason: null })
    expect(setup.served(await setup.ask())).toBe(0)
  })

  it('a maintenance window (cron, UTC) deactivates on schedule and reactivates after', async () => {
    setup = await routingSetup(2, {
      targets: [
        { provider: 'up0', model: 'model-0', maintenanceWindow: { cron: '0 3 * * *', duration: '30m' } },
        { provider: 'up1', model: 'model-1' },
      ],
    })
    setup.clock.set(Date.UTC(2026, 0, 15, 2, 59))
    expect(setup.served(await setup.ask())).toBe(0)
    setup.clock.set(Date.UTC(2026, 0, 15, 3, 5))
    expect(setup.served(await setup.ask())).toBe(1)
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'maintenance' })
    setup.clock.set(Date.UTC(2026, 0, 15, 3, 31))
    expect(setup.served(await setup.ask())).toBe(0)
    expect(setup.fakes[0]!.calls).toHaveLength(2)
  })

  it('an error-rate breach opens the breaker; after cooldown a half-open request closes it', async () => {
    setup = await routingSetup(2, { deactivate: { errorRateThreshold: 0.5, errorRateWindow: '60s', errorRateMinRequests: 4 }, recover: { cooldown: '10s' } })
    setup.fakes[0]!.script({}, { status: 500 }, {}, { status: 502 })
    for (let i = 0; i < 4; i++) await setup.ask()
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'error_rate', breaker: 'open' })
    expect(setup.served(await setup.ask())).toBe(1)

    setup.clock.advance(10_000)
    // Half-open: one trial request goes through and closes the breaker.
    expect(setup.served(await setup.ask())).toBe(0)
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'active', breaker: 'closed' })
  })

  it('a failed half-open request opens the breaker again', async () => {
    setup = await routingSetup(2, { deactivate: { consecutiveFailures: 1 }, recover: { cooldown: '5s' } })
    setup.fakes[0]!.setDefault({ status: 503 })
    await setup.ask()
    setup.clock.advance(5_000)
    expect(setup.served(await setup.ask())).toBe(1)
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', breaker: 'open', cooldownLeftMs: 5_000 })
    expect(setup.fakes[0]!.calls).toHaveLength(2)
  })

  it('free-tier request caps deactivate until the daily quota resets (UTC)', async () => {
    setup = await routingSetup(2, { deactivate: { requestLimit: 2, quotaWindow: 'daily' } })
    expect([setup.served(await setup.ask()), setup.served(await setup.ask()), setup.served(await setup.ask())]).toEqual([0, 0, 1])
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'quota' })
    setup.clock.set(Date.UTC(2026, 0, 16, 0, 0, 1))
    expect(setup.served(await setup.ask())).toBe(0)
  })

  it('a refused key (401) is disabled and reported; the next key serves; other keys stay active', async () => {
    setup = await routingSetup(1, { selection: 'priority' }, {}, 3)
    setup.fakes[0]!.setDefault((call) => (call.headers.authorization === 'Bearer key-0-1' ? { status: 401 } : {}))
    for (let i = 0; i < 6; i++) expect((await setup.ask()).status).toBe(200)
    const members = (await setup.mesh.engine).status()[0]!.members
    expect(members.find((m) => m.deployment === 'up0/model-0#1')).toMatchObject({ status: 'standby', reason: 'key_refused' })
    expect(members.filter((m) => m.status === 'active')).toHaveLength(2)
    expect(setup.fakes[0]!.calls.filter((c) => c.headers.authorization === 'Bearer key-0-1').length).toBeLessThanOrEqual(1)
  })

  it('429 on one key moves to the next key at once', async () => {
    setup = await routingSetup(1, {}, {}, 2)
    setup.fakes[0]!.script({ status: 429, retryAfter: 30 }, { reply: 'second key' })
    const response = await setup.ask()
    expect(response.status).toBe(200)
    const keys = setup.fakes[0]!.calls.map((c) => c.headers.authorization)
    expect(new Set(keys).size).toBe(2)
    expect(setup.clock.now()).toBe(Date.UTC(2026, 0, 15, 12, 0, 0))
  })

  it('provider outage (connection refused) takes the provider out across pools; a probe brings it back', async () => {
    setup = await routingSetup(2, { deactivate: { consecutiveFailures: 2 }, recover: { cooldown: '30s' } }, { rotation: { providerDeactivation: ['api-outage'] } })
    setup.fakes[0]!.setDefault({ disconnectBeforeHeaders: true })
    await setup.ask()
    await setup.ask()
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'provider_outage' })
    setup.fakes[0]!.setDefault({})
    setup.clock.advance(30_000)
    await (await setup.mesh.engine).health.tick()
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'active' })
  })
})

describe('budget caps and probes on start', () => {
  it('a free-tier budget (USD per quota window) deactivates once the upstream cost reaches it', async () => {
    setup = await routingSetup(2, {
      targets: [
        { provider: 'up0', model: 'model-0', pricing: { input: 1000, output: 1000 } },
        { provider: 'up1', model: 'model-1' },
      ],
      deactivate: { budgetLimit: 0.02 },
    })
    setup.fakes[0]!.setDefault({ usage: { prompt_tokens: 10, completion_tokens: 0 } }) // $0.01 a request
    expect([setup.served(await setup.ask()), setup.served(await setup.ask())]).toEqual([0, 0])
    expect(setup.served(await setup.ask())).toBe(1)
    expect(await statusOf(setup, 'up0/model-0#0')).toMatchObject({ status: 'standby', reason: 'quota' })
  })

  it('probeOnStart puts deployments that fail their probe on standby before any traffic', async () => {
    setup = await routingSetup(2, { recover: { probeOnStart: true, cooldown: '60s' } })
    setup.fakes[1]!.setDefault({ status: 503 })
    const outcomes = await (await setup.mesh.engine).health.probeOnStart()
    expect(outcomes.map((o) => [o.deployment, o.ok])).toEqual([['up0/model-0#0', true], ['up1/model-1#0', false]])
    expect(await statusOf(setup, 'up1/model-1#0')).toMatchObject({ status: 'standby', reason: 'probe_failed' })
    setup.fakes[0]!.script({ status: 500 })
    // up1 is out: the failing up0 has nobody to fail over to.
    expect((await setup.ask()).status).toBe(502)
  })
})
