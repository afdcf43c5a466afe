import { createMesh, defineConfig, type ProviderV1 } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { startFakeOpenAI } from '@modelmesh/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { billingSetup, REQUEST_COST, type BillingSetup } from './billing-helpers.js'

let setup: BillingSetup | undefined
afterEach(async () => {
  await setup?.close()
  setup = undefined
})

const balanceOf = async (s: BillingSetup, accountId: string) => (await (await s.admin(`/accounts/${accountId}`)).json()) as { balanceMicroUsd: number; reservedMicroUsd: number }
const entriesOf = async (s: BillingSetup, accountId: string) => (await s.mesh.billing.ledger.entries(accountId)).filter((e) => e.kind === 'usage')
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  let value = await read()
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
    value = await read()
  }
  return value
}

describe('virtual keys', () => {
  it('refuses a missing or wrong key with a 401 in OpenAI shape, before any upstream call', async () => {
    setup = await billingSetup()
    for (const key of [undefined, 'mk_live_wrong']) {
      const response = await setup.chat(key)
      expect(response.status).toBe(401)
      const { error } = await response.json()
      expect(error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' })
      if (key) expect(JSON.stringify(error)).not.toContain(key)
    }
    expect(setup.fake.calls).toHaveLength(0)
  })

  it('stores only the SHA-256 of a key; the plaintext is shown once', async () => {
    setup = await billingSetup()
    const { key, keyId } = await setup.account(1)
    expect(key).toMatch(/^mk_live_[0-9A-Za-z]{40}$/)
    const stored = await setup.mesh.billing.ledger.getKey(keyId)
    expect(stored!.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(stored)).not.toContain(key)
    const listed = await (await setup.admin('/keys')).text()
    expect(listed).not.toContain(key)
    expect(listed).not.toContain(stored!.hash)
  })

  it('enforces the model allow-list and scopes with 403', async () => {
    setup = await billingSetup()
    const { key } = await setup.account(1, { models: ['smart'] })
    expect((await setup.chat(key, { model: 'other' })).status).toBe(403)
    expect((await setup.chat(key)).status).toBe(200)
    const { key: embedOnly } = await setup.account(1, { scopes: ['embeddings'] })
    expect((await setup.chat(embedOnly)).status).toBe(403)
  })

  it('a revoked key is refused at once on the instance that revoked it', async () => {
    setup = await billingSetup()
    const { key, keyId } = await setup.account(1)
    expect((await setup.chat(key)).status).toBe(200)
    await setup.admin(`/keys/${keyId}/revoke`, {})
    const response = await setup.chat(key)
    expect(response.status).toBe(401)
    expect((await response.json()).error.message).toMatch(/revoked/)
  })

  it('rotation: the new key works at once, the old one until its grace period ends', async () => {
    let now = Date.UTC(2026, 5, 1)
    setup = await billingSetup({}, { clock: { now: () => now } })
    const { key, keyId } = await setup.account(1)
    const rotated = (await (await setup.admin(`/keys/${keyId}/rotate`, { gracePeriod: '1h' })).json()) as { key: string }
    expect((await setup.chat(rotated.key)).status).toBe(200)
    expect((await setup.chat(key)).status).toBe(200)
    now += 3_600_001
    // The cached record expires too: the key authority checks expiry on every request.
    expect((await setup.chat(key)).status).toBe(401)
    expect((await setup.chat(rotated.key)).status).toBe(200)
  })
})

describe('rate limits', () => {
  it('answers 429 with Retry-After and x-ratelimit-* headers past the RPM limit', async () => {
    setup = await billingSetup()
    const { key } = await setup.account(1, { rpm: 3 })
    for (let i = 0; i < 3; i++) {
      const ok = await setup.chat(key)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe(String(2 - i))
    }
    const limited = await setup.chat(key)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('3')
    expect((await limited.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'rpm_limit_exceeded' })
    expect(setup.fake.calls).toHaveLength(3)
  })
})

describe('credits ledger', () => {
  it('bills the real cost, shows it as receipt headers and usage.cost, and records a usage event without content', async () => {
    setup = await billingSetup({ billing: { margin: 0.1 } })
    const { key, accountId } = await setup.account(1)
    const response = await setup.chat(key)
    expect(response.status).toBe(200)
    const billed = Math.round(REQUEST_COST * 1.1)
    expect(response.headers.get('x-mesh-cost-usd')).toBe((billed / 1e6).toFixed(6))
    expect(response.headers.get('x-mesh-receipt-id')).toBe(response.headers.get('x-mesh-request-id'))
    expect((await response.json()).usage.cost).toBeCloseTo(billed / 1e6, 9)
    const balance = await eventually(() => balanceOf(setup!, accountId), (b) => b.reservedMicroUsd === 0)
    expect(balance.balanceMicroUsd).toBe(1_000_000 - billed)
    const { data } = await (await setup.admin(`/usage?accountId=${accountId}`)).json()
    expect(data).toHaveLength(1)
    expect(data[0]).toMatchObject({ requestedModel: 'smart', status: 200, cost: { upstreamMicroUsd: REQUEST_COST, billedMicroUsd: billed, marginMicroUsd: billed - REQUEST_COST } })
    expect(JSON.stringify(data[0])).not.toMatch(/Hello|billed answer/)
  })

  it.each(['sync', 'async'] as const)("records the gateway's own time (timings.overheadMs) without the upstream's, and a stream's time to first token (%s settlement)", async (settlement) => {
    setup = await billingSetup({ billing: { settlement } })
    const { key, accountId } = await setup.account(1)
    // The upstream takes 120 ms before it answers: total time includes it, the overhead does not.
    setup.fake.script({ latencyMs: 120 })
    const answered = await setup.chat(key)
    expect(answered.status).toBe(200)
    setup.fake.script({ latencyMs: 120, reply: 'streamed', chunkSize: 4 })
    const streamed = await setup.chat(key, { stream: true })
    await streamed.text()
    // The same figure as a response header (x-mesh-overhead-ms), as the client sees it.
    const headerOf = (r: Response) => Number(r.headers.get('x-mesh-overhead-ms'))
    const data = await eventually(
      async () => ((await (await setup!.admin(`/usage?accountId=${accountId}`)).json()) as { data: Array<{ stream: boolean; timings: { totalMs: number; overheadMs?: number; firstTokenMs?: number } }> }).data,
      (events) => events.length === 2,
    )
    for (const { stream, timings } of data) {
      expect(timings.totalMs, `stream ${stream}`).toBeGreaterThanOrEqual(120)
      // The admission (and a sync settlement's commit) are in it; 120 ms of upstream wait is not.
      expect(timings.overheadMs, `stream ${stream}`).toBeGreaterThanOrEqual(0)
      expect(timings.overheadMs!, `stream ${stream}`).toBeLessThan(100)
    }
    expect(headerOf(answered)).toBe(data.find((e) => !e.stream)!.timings.overheadMs)
    expect(headerOf(streamed)).toBe(data.find((e) => e.stream)!.timings.overheadMs)
    const stream = data.find((e) => e.stream)!.timings
    expect(stream.firstTokenMs).toBeGreaterThanOrEqual(120)
    expect(stream.firstTokenMs!).toBeLessThanOrEqual(stream.totalMs + 1)
    expect(data.find((e) => !e.stream)!.timings.firstTokenMs).toBeUndefined()
  })

  it("counts the gateway's own work inside an attempt as overhead: only the wait for the upstream is left out", async () => {
    const fake = await startFakeOpenAI()
    const upstream = openai({ baseURL: fake.baseURL, keys: ['upstream-key'] })
    // A provider that spends 40 ms of its own before each upstream call (as a costly request
    // translation would), then calls through the engine's context; the upstream takes 120 ms.
    const busy: ProviderV1 = {
      ...upstream,
      doForward: (request, ctx) => {
        const until = performance.now() + 40
        while (performance.now() < until);
        return upstream.doForward!(request, ctx)
      },
    }
    const mesh = createMesh(defineConfig({ providers: { up: busy }, models: { smart: { targets: [{ provider: 'up', model: 'm' }] } } }), { onError: () => {} })
    try {
      await mesh.ready
      fake.setDefault({ latencyMs: 120, reply: 'slow upstream', chunkSize: 4 })
      for (const stream of [false, true]) {
        const response = await mesh.fetch(new Request('http://gateway.test/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', stream, messages: [{ role: 'user', content: 'Hello' }] }) }))
        expect(response.status).toBe(200)
        await response.text()
        const overhead = Number(response.headers.get('x-mesh-overhead-ms'))
        expect(overhead, `stream ${stream}`).toBeGreaterThanOrEqual(40)
        expect(overhead, `stream ${stream}`).toBeLessThan(120)
      }
    } finally {
      await mesh.close()
      await fake.close()
    }
  })

  it('answers 402 when credits would not cover the worst case, and calls nobody', async () => {
    setup = await billingSetup()
    const { key } = await setup.account(0.000001)
    const response = await setup.chat(key)
    expect(response.status).toBe(402)
    expect((await response.json()).error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_credits' })
    expect(setup.fake.calls).toHaveLength(0)
  })

  it('enforces a key spend cap with 402', async () => {
    setup = await billingSetup()
    const { key } = await setup.account(10, { spendCap: { daily: 0.005 } })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await setup.chat(key, { max_tokens: 10 })).status)
    // Each request holds ~10 + 30 tokens' worth and settles at $0.002: the third would pass $0.005.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3)
    expect(statuses).toContain(402)
  })

  it('200 concurrent requests against a balance covering 50: at most 50 succeed, the rest get 402, the ledger adds up', async () => {
    setup = await billingSetup()
    // The hold is the worst case: ceil(chars / 3) input tokens + max_tokens output; fund exactly 50.
    const bodyChars = JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1000 }).length
    const hold = Math.ceil(bodyChars / 3) * 1 + 1000 * 2
    const { key, accountId } = await setup.account((hold * 50) / 1e6)
    const responses = await Promise.all(Array.from({ length: 200 }, () => setup!.chat(key)))
    const ok = responses.filter((r) => r.status === 200).length
    const refused = responses.filter((r) => r.status === 402).length
    expect(ok).toBe(50)
    expect(refused).toBe(150)
    const balance = await eventually(() => balanceOf(setup!, accountId), (b) => b.reservedMicroUsd === 0)
    const entries = await setup.mesh.billing.ledger.entries(accountId)
    const sum = entries.reduce((total, e) => total + e.amountMicroUsd, 0)
    expect(sum).toBe(balance.balanceMicroUsd)
    expect(entries.filter((e) => e.kind === 'usage')).toHaveLength(50)
    expect(balance.balanceMicroUsd).toBe(hold * 50 - 50 * REQUEST_COST)
    expect(balance.balanceMicroUsd).toBeGreaterThanOrEqual(0)
  })

  it('a retried request with the same Idempotency-Key is billed once and gets the same answer', async () => {
    setup = await billingSetup()
    const { key, accountId } = await setup.account(1)
    const first = await setup.chat(key, {}, { 'idempotency-key': 'order-42' })
    const firstBody = await first.text()
    await eventually(() => entriesOf(setup!, accountId), (e) => e.length === 1)
    const second = await setup.chat(key, {}, { 'idempotency-key': 'order-42' })
    expect(second.status).toBe(200)
    expect(second.headers.get('x-mesh-idempotent-replay')).toBe('true')
    expect(await second.text()).toBe(firstBody)
    expect(setup.fake.calls).toHaveLength(1)
    expect(await entriesOf(setup, accountId)).toHaveLength(1)
  })

  it('a stream the client cuts off is still billed for what the upstream produced', async () => {
    setup = await billingSetup()
    const { key, accountId } = await setup.account(1)
    setup.fake.script({ reply: 'a long streamed answer '.repeat(20), chunkSize: 10, chunkDelayMs: 5, usage: { prompt_tokens: 1000, completion_tokens: 500 } })
    const response = await setup.chat(key, { stream: true })
    const reader = response.body!.getReader()
    await reader.read()
    await reader.cancel()
    const usage = await eventually(() => entriesOf(setup!, accountId), (e) => e.length === 1)
    expect(usage[0]!.amountMicroUsd).toBe(-REQUEST_COST)
    const { data } = await (await setup.admin(`/usage?accountId=${accountId}`)).json()
    expect(data[0]).toMatchObject({ stream: true, clientDisconnected: true, usage: { inputTokens: 1000, outputTokens: 500 } })
  })
})

describe('revocation across instances', () => {
  it('a second instance refuses a revoked key at once when the counter store fans out, and within keyCacheTtl when it does not', async () => {
    const { memoryCounterStore, memoryLedgerStore, memoryStateStore } = await import('@modelmesh/core')
    for (const fanOut of [true, false]) {
      let now = Date.UTC(2026, 5, 1)
      const ledger = memoryLedgerStore()
      const sharedCounters = memoryCounterStore()
      // Without fan-out: the same counters, minus subscribe/publish.
      const counters = fanOut ? sharedCounters : { ...sharedCounters, subscribe: undefined, publish: undefined }
      const stores = { ledger, counters, state: memoryStateStore() }
      const a = await billingSetup({ stores, auth: { keys: true, keyCacheTtl: '5s' } }, { clock: { now: () => now } })
      const b = await billingSetup({ stores, auth: { keys: true, keyCacheTtl: '5s' } }, { clock: { now: () => now } })
      try {
        const { key, keyId } = await a.account(1)
        expect((await b.chat(key)).status).toBe(200) // b has the key cached now
        await a.admin(`/keys/${keyId}/revoke`, {})
        if (fanOut) {
          expect((await b.chat(key)).status).toBe(401)
        } else {
          now += 4_999
          expect((await b.chat(key)).status).toBe(200) // still inside the stated bound
          now += 1
          expect((await b.chat(key)).status).toBe(401)
        }
      } finally {
        await b.fake.close()
        await a.close()
      }
    }
  })
})

describe('cached input tokens are billed at the cached rate', () => {
  it('openai.chat: prompt_tokens_details.cached_tokens', async () => {
    setup = await billingSetup()
    const { key, accountId } = await setup.account(1)
    setup.fake.script({ usage: { prompt_tokens: 10_000, completion_tokens: 100, cached_tokens: 9_000 } })
    const response = await setup.chat(key)
    // 1,000 × $1 + 9,000 × $0.10 + 100 × $2 per million → 2,100 micro-USD
    expect(response.headers.get('x-mesh-cost-usd')).toBe('0.002100')
    const [entry] = await eventually(() => entriesOf(setup!, accountId), (e) => e.length === 1)
    expect(entry!.amountMicroUsd).toBe(-2_100)
  })
})
