import { closeUpstreamClients, type ProviderCallContext, type StreamPart } from '@modelmesh/core'
import { startFakeAnthropic, type FakeUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { anthropic, classifyAnthropicError } from '../src/index.js'

let fake: FakeUpstream
beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKeys: ['sk-ant-1'] })
})
afterAll(async () => {
  await fake.close()
  await closeUpstreamClients()
})
beforeEach(() => fake.reset())

const ctx = (): ProviderCallContext => ({ deployment: { id: 'anthropic/claude#0', provider: 'anthropic', model: 'claude-sonnet-4-5', keyIndex: 0 }, apiKey: 'sk-ant-1', signal: new AbortController().signal, requestId: 'req_1' })
const request = { specificationVersion: 'mesh.chat.v1' as const, model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi', cacheControl: { type: 'ephemeral' as const } }] }] }

describe('anthropic provider', () => {
  it('sends x-api-key, anthropic-version, betas and a default max_tokens; carries cache_control', async () => {
    const provider = anthropic({ baseURL: fake.baseURL, keys: ['sk-ant-1'], betas: ['context-1m-2025-08-07', 'x'], defaultMaxTokens: 1234 })
    fake.script({ reply: 'ok', usage: { prompt_tokens: 50, completion_tokens: 3, cached_tokens: 20, cache_write_tokens: 25 } })
    const response = await provider.doChat(request, ctx())
    const call = fake.calls.at(-1)!
    expect(call.path).toBe('/v1/messages')
    expect(call.headers).toMatchObject({ 'x-api-key': 'sk-ant-1', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m-2025-08-07,x' })
    expect(call.body).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 1234, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }] })
    expect(response.usage).toMatchObject({ inputTokens: 50, cachedInputTokens: 20, cacheWriteTokens: 25, outputTokens: 3 })
  })

  it('uses 4096 max_tokens when neither the request nor the options set it, and version overrides', async () => {
    fake.script({ reply: 'ok' })
    await anthropic({ baseURL: fake.baseURL, version: '2024-01-01' }).doChat(request, ctx())
    expect((fake.calls.at(-1)!.body as { max_tokens: number }).max_tokens).toBe(4096)
    expect(fake.calls.at(-1)!.headers['anthropic-version']).toBe('2024-01-01')
  })

  it('streams the usage of message_start and message_delta as one usage part, cache writes included', async () => {
    fake.script({ reply: 'streamed', chunkSize: 3, usage: { prompt_tokens: 40, completion_tokens: 6, cached_tokens: 10, cache_write_tokens: 5 } })
    const parts: StreamPart[] = []
    for await (const part of await anthropic({ baseURL: fake.baseURL }).doStream(request, ctx())) parts.push(part)
    expect(parts.filter((p) => p.type === 'usage')).toEqual([{ type: 'usage', usage: expect.objectContaining({ inputTokens: 40, cachedInputTokens: 10, cacheWriteTokens: 5, outputTokens: 6 }) }])
    expect((fake.calls.at(-1)!.body as { stream: boolean }).stream).toBe(true)
  })

  it('lists models from GET /v1/models, with configured metadata', async () => {
    const provider = anthropic({ baseURL: fake.baseURL, models: { 'claude-sonnet-4-5': { id: 'claude-sonnet-4-5', contextWindow: 200_000 } } })
    expect(await provider.listModels!(ctx())).toEqual([{ id: 'claude-sonnet-4-5', contextWindow: 200_000 }, { id: 'claude-haiku-4-5' }])
  })

  it('refuses operations that are not relative API paths', async () => {
    await expect(anthropic({ baseURL: fake.baseURL }).doForward({ operation: '../evil', body: {}, stream: false }, ctx())).rejects.toThrow(/Refusing/)
  })

  it('classifies Anthropic’s own statuses: 529 overloaded fails over, 402 billing is the key’s, 413 is the request’s', () => {
    expect(classifyAnthropicError({ status: 529, headers: { 'retry-after': '4' } })).toEqual({ retryable: true, scope: 'provider', reason: 'overloaded', retryAfterMs: 4000 })
    expect(classifyAnthropicError({ status: 402 })).toMatchObject({ scope: 'key' })
    expect(classifyAnthropicError({ status: 413 })).toMatchObject({ scope: 'request', retryable: false })
    expect(classifyAnthropicError({ status: 404 })).toMatchObject({ scope: 'model' })
  })
})
