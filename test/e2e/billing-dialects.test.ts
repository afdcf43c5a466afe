import { createMesh, defineConfig, type ProviderV1 } from '@modelmesh/core'
import { anthropic } from '@modelmesh/providers-anthropic'
import { google } from '@modelmesh/providers-google'
import { openai } from '@modelmesh/providers-openai'
import { startFakeAnthropic, startFakeGoogle, startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { describe, expect, it } from 'vitest'

const ADMIN = 'dialect-billing-admin-key-01'
// $1 / M input, $0.10 / M cached input, $1.25 / M cache write, $2 / M output.
const PRICING = { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 2 }

const cases: Array<[string, () => Promise<FakeUpstream>, (baseURL: string) => ProviderV1, { cacheWrite: boolean }]> = [
  ['openai.chat', () => startFakeOpenAI(), (baseURL) => openai({ baseURL, keys: ['k'] }), { cacheWrite: false }],
  ['anthropic.messages', () => startFakeAnthropic(), (baseURL) => anthropic({ baseURL, keys: ['k'] }), { cacheWrite: true }],
  ['google.generate', () => startFakeGoogle(), (baseURL) => google({ baseURL, keys: ['k'] }), { cacheWrite: false }],
]

describe.each(cases)('cached input tokens are billed at the cached rate (%s upstream)', (_dialect, startFake, provider, { cacheWrite }) => {
  it('debits uncached input, cached input, cache writes and output each at its own rate', async () => {
    const fake = await startFake()
    // 10,000 input tokens in all: 8,000 read from the cache (and 1,000 written to it where the dialect reports writes).
    fake.setDefault({ reply: 'ok', usage: { prompt_tokens: 10_000, completion_tokens: 100, cached_tokens: 8_000, ...(cacheWrite ? { cache_write_tokens: 1_000 } : {}) } })
    const mesh = createMesh(
      defineConfig({
        providers: { up: provider(fake.baseURL) },
        models: { smart: { targets: [{ provider: 'up', model: 'm', pricing: PRICING }] } },
        auth: { keys: true },
        admin: { key: ADMIN },
      }),
      { onError: () => {} },
    )
    try {
      await mesh.ready
      const admin = (path: string, body: unknown) => mesh.fetch(new Request(`http://g/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }))
      await admin('/accounts', { id: 'a' })
      await admin('/credits/grant', { accountId: 'a', amountUsd: 1 })
      const { key } = (await (await admin('/keys', { accountId: 'a' })).json()) as { key: string }
      const response = await mesh.fetch(new Request('http://g/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 }) }))
      expect(response.status).toBe(200)
      const uncached = 10_000 - 8_000 - (cacheWrite ? 1_000 : 0)
      const expected = uncached * PRICING.input + 8_000 * PRICING.cachedInput + (cacheWrite ? 1_000 * PRICING.cacheWrite : 0) + 100 * PRICING.output
      expect(response.headers.get('x-mesh-cost-usd')).toBe((expected / 1e6).toFixed(6))
      const usage = (await mesh.billing.ledger.entries('a')).filter((e) => e.kind === 'usage')
      expect(usage.map((e) => e.amountMicroUsd)).toEqual([-expected])
    } finally {
      await mesh.close()
      await fake.close()
    }
  })
})
