import { createMesh, defineConfig, type Mesh } from '@modelmesh/core'
import { google } from '@modelmesh/providers-google'
import { openai } from '@modelmesh/providers-openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { anthropicClient, INGRESSES, meshOverAllFakes, PROVIDERS, send, startFakes, type Fakes } from './matrix-helpers.js'

let fakes: Fakes
let mesh: Mesh
beforeAll(async () => {
  fakes = await startFakes()
  // Google here declares plain chat only: the requests below ask it for more.
  mesh = await meshOverAllFakes(fakes, { capabilities: { google: ['generation.text.chat'] } })
})
afterAll(async () => {
  await mesh.close()
  await fakes.close()
})
beforeEach(() => {
  for (const p of PROVIDERS) fakes[p].reset()
})

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

describe.each(INGRESSES)('capabilities, for $name clients', (client) => {
  it.each([
    ['image input', { imageBase64: PNG }, 'understanding.image'],
    ['tools', { tools: true }, 'generation.text.chat.tools'],
    ['JSON-schema output', { jsonSchema: { type: 'object' } }, 'generation.text.chat.json-schema'],
  ] as const)('a provider that does not declare %s answers 400 naming the feature and the provider, and is not called', async (feature, options, capability) => {
    const response = await send(mesh, client, client.body('m-google', options))
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(client.errorType(body)).toBe('invalid_request_error')
    const message = client.name === 'openai.chat' ? body.error.message : body.error.message
    expect(message).toContain(`Provider "google"`)
    expect(message).toContain(feature)
    expect(message).toContain(capability)
    expect(fakes.google.calls).toHaveLength(0)
  })

  it('fields the provider cannot take are named in x-mesh-warnings, never dropped silently', async () => {
    const extra = client.name === 'openai.chat' ? { logprobs: true, seed: 7 } : { service_tier: 'auto', top_k: 5 }
    const target = client.name === 'openai.chat' ? 'm-anthropic' : 'm-openai'
    const response = await send(mesh, client, client.body(target, { extra }))
    expect(response.status).toBe(200)
    const warnings = response.headers.get('x-mesh-warnings') ?? ''
    if (client.name === 'openai.chat') expect(warnings).toBe('anthropic ignores openai fields: logprobs; anthropic ignores: seed')
    else expect(warnings).toBe('openai ignores anthropic fields: service_tier; openai ignores: top_k')
  })
})

describe('capabilities across a pool', () => {
  it('skips a deployment that lacks a feature and serves from the next one that has it', async () => {
    const config = defineConfig({
      providers: {
        google: google({ baseURL: fakes.google.baseURL, keys: ['k'], capabilities: ['generation.text.chat'] }),
        openai: openai({ baseURL: fakes.openai.baseURL, keys: ['k'] }),
      },
      models: { mixed: { targets: [{ provider: 'google', model: 'gemini-2.5-flash' }, { provider: 'openai', model: 'gpt-4o-mini' }] } },
    })
    const own = createMesh(config, { onError: () => {}, background: false })
    fakes.openai.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] })
    const response = await send(own, anthropicClient, anthropicClient.body('mixed', { tools: true }))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-provider')).toBe('openai')
    expect(anthropicClient.read(await response.json()).toolCalls[0]!.name).toBe('get_weather')
    expect(fakes.google.calls).toHaveLength(0)
    await own.close()
  })

  it('JSON mode without a schema cannot reach an Anthropic model: a 400 that says what to send instead', async () => {
    const response = await send(mesh, INGRESSES[0]!, { model: 'm-anthropic', messages: [{ role: 'user', content: 'json please' }], response_format: { type: 'json_object' } })
    expect(response.status).toBe(400)
    expect((await response.json()).error.message).toMatch(/json_schema/)
    expect(fakes.anthropic.calls).toHaveLength(0)
  })
})

describe('POST /v1/messages: Anthropic-shaped errors and passthrough', () => {
  it('a body without max_tokens is a 400 invalid_request_error in Anthropic’s shape', async () => {
    const response = await send(mesh, anthropicClient, { model: 'm-openai', messages: [{ role: 'user', content: 'x' }] })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } })
  })

  it('an unknown model is a 404 not_found_error', async () => {
    const response = await send(mesh, anthropicClient, anthropicClient.body('no-such-model', {}))
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  })

  it('a body over the limit is a 413 request_too_large', async () => {
    const config = defineConfig({ server: { bodyLimit: '1kb' }, providers: { openai: openai({ baseURL: fakes.openai.baseURL, keys: ['k'] }) }, models: { m: { targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] } } })
    const own = createMesh(config, { onError: () => {}, background: false })
    const response = await send(own, anthropicClient, anthropicClient.body('m', { text: 'x'.repeat(4096) }))
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } })
    await own.close()
  })

  it('Anthropic to Anthropic forwards the body with unknown fields, minus the gateway’s own', async () => {
    fakes.anthropic.script({ reply: 'forwarded' })
    const response = await send(mesh, anthropicClient, { ...anthropicClient.body('m-anthropic', {}), service_tier: 'auto', x_vendor: { keep: true }, models: ['m-anthropic'] })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-warnings')).toBeNull()
    const sent = fakes.anthropic.calls.at(-1)!.body as Record<string, unknown>
    expect(sent).toMatchObject({ model: 'claude-sonnet-4-5', service_tier: 'auto', x_vendor: { keep: true } })
    expect(sent.models).toBeUndefined()
    expect(fakes.anthropic.calls.at(-1)!.headers['x-api-key']).toBe('k-anthropic')
  })
})

describe('POST /v1/messages/count_tokens', () => {
  const count = (model: string) =>
    mesh.fetch(new Request('http://gateway.test/v1/messages/count_tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this sentence?' }] }) }))

  it('asks the upstream when the model is served by Anthropic', async () => {
    fakes.anthropic.script({ usage: { prompt_tokens: 17, completion_tokens: 0 } })
    const response = await count('m-anthropic')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-token-count')).toBe('upstream')
    expect(await response.json()).toEqual({ input_tokens: 17 })
    expect(fakes.anthropic.calls.at(-1)).toMatchObject({ path: '/v1/messages/count_tokens', body: { model: 'claude-sonnet-4-5' } })
  })

  it('estimates with the o200k tokenizer for other providers, and says so', async () => {
    const response = await count('m-openai')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-token-count')).toBe('estimated')
    const { input_tokens } = (await response.json()) as { input_tokens: number }
    // 3 + 7 text tokens plus the per-message overhead: small, positive, and no upstream call.
    expect(input_tokens).toBeGreaterThan(8)
    expect(input_tokens).toBeLessThan(30)
    expect(fakes.openai.calls).toHaveLength(0)
  })

  it('answers a malformed body in Anthropic’s error shape', async () => {
    const response = await mesh.fetch(new Request('http://gateway.test/v1/messages/count_tokens', { method: 'POST', body: '{nope' }))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
  })
})
