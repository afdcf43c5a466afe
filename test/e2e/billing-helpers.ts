import { createMesh, defineConfig, type Mesh, type MeshConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'

export const ADMIN_KEY = 'admin-key-for-billing-tests'
/** $1 per million input tokens, $2 per million output, $0.10 per million cached: easy sums. */
export const PRICING = { input: 1, output: 2, cachedInput: 0.1 }

export interface BillingSetup {
  fake: FakeUpstream
  mesh: Mesh
  admin(path: string, body?: unknown): Promise<Response>
  /** Create an account with `creditsUsd` and a key; resolves the plaintext key and ids. */
  account(creditsUsd: number, key?: Record<string, unknown>): Promise<{ key: string; keyId: string; accountId: string }>
  chat(key: string | undefined, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>
  close(): Promise<void>
}

export async function billingSetup(extra: Partial<MeshConfig> = {}, options: Parameters<typeof createMesh>[1] = {}): Promise<BillingSetup> {
  const fake = await startFakeOpenAI()
  fake.setDefault({ reply: 'billed answer', usage: { prompt_tokens: 1000, completion_tokens: 500 } })
  const config = defineConfig({
    providers: { up: openai({ baseURL: fake.baseURL, keys: ['upstream-key'] }) },
    models: { smart: { targets: [{ provider: 'up', model: 'm', pricing: PRICING }] }, other: { targets: [{ provider: 'up', model: 'm2', pricing: PRICING }] } },
    auth: { keys: true },
    admin: { key: ADMIN_KEY },
    ...extra,
  } as MeshConfig)
  const mesh = createMesh(config, { onError: () => {}, ...options })
  await mesh.ready
  const admin = (path: string, body?: unknown) =>
    mesh.fetch(
      new Request(`http://gateway.test/admin/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    )
  let n = 0
  return {
    fake,
    mesh,
    admin,
    async account(creditsUsd, key = {}) {
      const accountId = `acct_test_${++n}_${Math.random().toString(36).slice(2, 8)}`
      await admin('/accounts', { id: accountId })
      if (creditsUsd > 0) await admin('/credits/grant', { accountId, amountUsd: creditsUsd })
      const created = (await (await admin('/keys', { accountId, ...key })).json()) as { key: string; id: string }
      return { key: created.key, keyId: created.id, accountId }
    },
    chat: (key, body = {}, headers = {}) =>
      mesh.fetch(
        new Request('http://gateway.test/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
          body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1000, ...body }),
        }),
      ),
    async close() {
      await mesh.close()
      await fake.close()
    },
  }
}

/** 1,000 input + 500 output tokens at PRICING, in micro-USD. */
export const REQUEST_COST = 1000 * PRICING.input + 500 * PRICING.output
