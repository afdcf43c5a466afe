import { SELECTION_STRATEGIES, type ModelConfig } from '@modelmesh/core'
import { afterEach, describe, expect, it } from 'vitest'
import { routingSetup, type RoutingSetup } from './routing-helpers.js'

let setup: RoutingSetup | undefined
afterEach(async () => {
  await setup?.close()
  setup = undefined
})

/** Each fake remembers which prompt prefixes it has seen and reports them as cached, like a real prompt cache. */
function withPromptCache(s: RoutingSetup) {
  s.fakes.forEach((fake) => {
    const seen = new Set<string>()
    fake.setDefault((call) => {
      const messages = (call.body as { messages: Array<{ content: string }> }).messages
      const prefix = JSON.stringify(messages.slice(0, 2))
      const cached = seen.has(prefix)
      seen.add(prefix)
      return { usage: { prompt_tokens: 2000, completion_tokens: 10, cached_tokens: cached ? 1800 : 0 } }
    })
  })
}

const conversation = (topic: string, turn: number) => ({
  messages: [
    { role: 'system', content: `You are an expert on ${topic}. `.repeat(50) },
    { role: 'user', content: `Tell me about ${topic}` },
    ...Array.from({ length: turn }, (_, i) => [
      { role: 'assistant', content: `answer ${i}` },
      { role: 'user', content: `follow-up ${i}` },
    ]).flat(),
  ],
})

describe('cache affinity', () => {
  it('keeps a conversation on the deployment holding its cached prefix, spreads unrelated traffic, and moves when that deployment is down', async () => {
    setup = await routingSetup(3, { selection: 'cache-affinity' })
    withPromptCache(setup)
    const first = setup.served(await setup.ask(conversation('tides', 0)))
    for (let turn = 1; turn <= 5; turn++) expect(setup.served(await setup.ask(conversation('tides', turn)))).toBe(first)
    // The follow-ups reported cached tokens where they landed.
    expect(setup.fakes[first]!.calls).toHaveLength(6)

    const others = new Set<number>()
    for (let i = 0; i < 12; i++) others.add(setup.served(await setup.ask(conversation(`topic ${i}`, 0))))
    expect(others.size).toBeGreaterThanOrEqual(2)

    const engine = await setup.mesh.engine
    engine.setStatus({ provider: `up${first}` }, 'standby')
    const moved = setup.served(await setup.ask(conversation('tides', 6)))
    expect(moved).not.toBe(first)
    // …and the conversation then sticks to its new home.
    expect(setup.served(await setup.ask(conversation('tides', 7)))).toBe(moved)
  })

  it('honours x-session-id over the prompt fingerprint', async () => {
    setup = await routingSetup(3, { selection: 'cache-affinity' })
    withPromptCache(setup)
    const home = setup.served(await setup.ask(conversation('a', 0), { 'x-session-id': 'sess-1' }))
    for (let i = 0; i < 5; i++) expect(setup.served(await setup.ask(conversation(`other ${i}`, 0), { 'x-session-id': 'sess-1' }))).toBe(home)
  })
})

describe('least-latency', () => {
  it('moves traffic away from a deployment made slow within two requests', async () => {
    setup = await routingSetup(2, { selection: 'least-latency' })
    // Warm up: both measured.
    for (let i = 0; i < 4; i++) await setup.ask()
    const before = setup.fakes.map((f) => f.calls.length)
    const busy = before[0]! >= before[1]! ? 0 : 1
    // Latency is measured on the engine's clock: let it follow real time for this test.
    setup.clock.useRealTime()
    setup.fakes[busy]!.setDefault({ latencyMs: 150 })
    const served: number[] = []
    for (let i = 0; i < 8; i++) served.push(setup.served(await setup.ask()))
    const slowAfterSecond = served.slice(2).filter((s) => s === busy).length
    expect(slowAfterSecond).toBe(0)
  })
})

describe('other strategies', () => {
  it('round-robin takes turns', async () => {
    setup = await routingSetup(3, { selection: 'round-robin' })
    const served = []
    for (let i = 0; i < 6; i++) served.push(setup.served(await setup.ask()))
    expect(served).toEqual([0, 1, 2, 0, 1, 2])
  })

  it('cost puts the cheapest priced deployment first', async () => {
    setup = await routingSetup(2, { selection: 'cost', targets: [{ provider: 'up0', model: 'model-0', pricing: { input: 5, output: 15 } }, { provider: 'up1', model: 'model-1', pricing: { input: 0.15, output: 0.6 } }] })
    expect(setup.served(await setup.ask())).toBe(1)
  })

  it('rate-limit headroom moves off a deployment whose upstream reports it nearly exhausted', async () => {
    setup = await routingSetup(2, { selection: 'rate-limit-headroom', rateLimit: { threshold: 0.9 } })
    setup.fakes[0]!.setDefault({ headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '30s' } })
    expect(setup.served(await setup.ask())).toBe(0)
    expect(setup.served(await setup.ask())).toBe(1)
    setup.clock.advance(31_000)
    expect(setup.served(await setup.ask())).toBe(0)
  })

  it('least-busy prefers the deployment with fewer requests in flight', async () => {
    setup = await routingSetup(2, { selection: 'least-busy' })
    setup.fakes[0]!.script({ hang: true })
    const hanging = setup.ask()
    await new Promise((r) => setTimeout(r, 50))
    const served = []
    for (let i = 0; i < 3; i++) served.push(setup.served(await setup.ask()))
    expect(served).toEqual([1, 1, 1])
    await setup.fakes[0]!.close()
    await hanging
  })
})

describe('explain matches what the engine then does', () => {
  const pools: Record<(typeof SELECTION_STRATEGIES)[number], Partial<ModelConfig>> = Object.fromEntries(SELECTION_STRATEGIES.map((s) => [s, { selection: s }])) as never
  pools.cost = { selection: 'cost', targets: [0, 1, 2].map((i) => ({ provider: `up${i}`, model: `model-${i}`, pricing: { input: 3 - i, output: 1 } })) }
  it.each(SELECTION_STRATEGIES.map((s) => [s]))('%s', async (strategy) => {
    setup = await routingSetup(3, pools[strategy as keyof typeof pools], { admin: { key: 'admin-key-for-tests-0123' } })
    for (let round = 0; round < 4; round++) {
      setup.clock.reseed(round + 7)
      const explained = await setup.mesh.fetch(
        new Request('http://gateway.test/admin/v1/explain', { method: 'POST', headers: { authorization: 'Bearer admin-key-for-tests-0123', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: `q${round}` }] }) }),
      )
      expect(explained.status).toBe(200)
      const { candidates } = (await explained.json()) as { candidates: Array<{ deployment: string; score: number; why: string }> }
      expect(candidates).toHaveLength(3)
      setup.clock.reseed(round + 7)
      const response = await setup.ask({ messages: [{ role: 'user', content: `q${round}` }] })
      expect(`${response.headers.get('x-mesh-provider')}/${response.headers.get('x-mesh-model')}#0`).toBe(candidates[0]!.deployment)
    }
  })
})
