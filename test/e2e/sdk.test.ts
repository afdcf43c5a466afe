import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { meshOverFakes, serveMesh, type Gateway } from './helpers.js'

// The official SDK, with only its base URL changed, is the judge of wire compatibility.
describe('official openai SDK through the gateway', () => {
  let setup: Awaited<ReturnType<typeof meshOverFakes>>
  let gateway: Gateway
  let client: OpenAI

  beforeAll(async () => {
    setup = await meshOverFakes(1)
    gateway = await serveMesh(setup.mesh)
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: 'client-key', maxRetries: 0 })
  })
  afterAll(async () => {
    await gateway.close()
    await setup.close()
  })

  it('gets a chat completion', async () => {
    setup.fakes[0]!.script({ reply: 'Hi from the fake', usage: { prompt_tokens: 12, completion_tokens: 5, cached_tokens: 4 } })
    const { data, response } = await client.chat.completions
      .create({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse()
    expect(data.choices[0]!.message.content).toBe('Hi from the fake')
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } })
    expect(response.headers.get('x-mesh-provider')).toBe('up0')
    expect(response.headers.get('x-mesh-model')).toBe('model-0')
    expect(response.headers.get('x-mesh-attempts')).toBe('1')
    expect(response.headers.get('x-mesh-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
    // The upstream got the deployment's model and key, not the client's.
    const call = setup.fakes[0]!.calls.at(-1)!
    expect(call.body).toMatchObject({ model: 'model-0' })
    expect(call.headers.authorization).toBe('Bearer key-0')
  })

  it('streams, and keeps unknown request fields on the way up', async () => {
    setup.fakes[0]!.script({ reply: 'streamed answer text', chunkSize: 4 })
    const stream = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      // @ts-expect-error a field the SDK does not know must still reach the upstream
      vendor_extension: { keep: true },
    })
    let text = ''
    let chunks = 0
    for await (const chunk of stream) {
      chunks++
      text += chunk.choices[0]?.delta.content ?? ''
      // The client did not ask for usage: it must not see the usage we injected for billing.
      expect(chunk.usage ?? undefined).toBeUndefined()
    }
    expect(text).toBe('streamed answer text')
    expect(chunks).toBeGreaterThan(3)
    const sent = setup.fakes[0]!.calls.at(-1)!.body as Record<string, unknown>
    expect(sent.vendor_extension).toEqual({ keep: true })
    expect(sent.stream_options).toEqual({ include_usage: true })
  })

  it('streams usage when the client asks for it', async () => {
    setup.fakes[0]!.script({ reply: 'abc', usage: { prompt_tokens: 7, completion_tokens: 2 } })
    const stream = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } })
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2 })
  })

  it('lists the public models', async () => {
    const ids: string[] = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).toEqual(['smart', 'backup'])
  })

  it('surfaces gateway errors as the SDK’s typed errors', async () => {
    const error = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect(error.error).toMatchObject({ type: 'not_found_error', code: 'model_not_found', param: 'model' })
  })

  it('ends a stream broken mid-way with an error the SDK raises', async () => {
    setup.fakes[0]!.script({ reply: 'a long answer that will be cut', chunkSize: 3, disconnectAfterChunks: 3 })
    const stream = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }], stream: true })
    let text = ''
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    }
    await expect(consume()).rejects.toThrow(/upstream/)
    expect(text.length).toBeGreaterThan(0)
  })

  it('refuses a body over the limit with 413 when served over node:http too, calling nobody', async () => {
    const calls = setup.fakes[0]!.calls.length
    const huge = JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] })
    // Once with a content-length, once chunked (a stream body has no declared length).
    for (const body of [huge, () => new Blob([huge]).stream()]) {
      const response = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : body(), duplex: 'half' } as RequestInit)
      expect(response.status).toBe(413)
      expect((await response.json()).error.code).toBe('request_too_large')
    }
    expect(setup.fakes[0]!.calls.length).toBe(calls)
  })
})
