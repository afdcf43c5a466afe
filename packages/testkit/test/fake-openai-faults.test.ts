import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startFakeOpenAI, type FakeUpstream } from '../src/index.js'

let fake: FakeUpstream
let client: OpenAI

beforeAll(async () => {
  fake = await startFakeOpenAI()
  client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0, timeout: 5_000 })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] }

async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>, into: OpenAI.ChatCompletionChunk[]): Promise<void> {
  for await (const chunk of stream) into.push(chunk)
}

describe('fake OpenAI upstream: faults', () => {
  it('hang: the request stays open until the client aborts, then the fake lets go of it', async () => {
    fake.script({ hang: true })
    const controller = new AbortController()
    const pending = client.chat.completions.create(request, { signal: controller.signal })
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1))
    expect(fake.inFlight).toBe(1)
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError)
    await vi.waitFor(() => expect(fake.inFlight).toBe(0))
  })

  it('disconnectAfterChunks: the SDK stream throws after the chunks that were sent', async () => {
    fake.script({ reply: 'a long answer that will be cut', chunkSize: 2, disconnectAfterChunks: 3 })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    const stream = await client.chat.completions.create({ ...request, stream: true })
    await expect(drain(stream, chunks)).rejects.toThrow()
    expect(chunks).toHaveLength(3)
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content).join('')).toBe('a lo') // role chunk, 'a ', 'lo'
  })

  it('disconnectAfterChunks on a JSON answer cuts the body half-way', async () => {
    fake.script({ disconnectAfterChunks: 0 })
    await expect(client.chat.completions.create(request)).rejects.toThrow()
  })

  it('disconnectBeforeHeaders: the SDK sees a connection error', async () => {
    fake.script({ disconnectBeforeHeaders: true })
    await expect(client.chat.completions.create(request)).rejects.toBeInstanceOf(OpenAI.APIConnectionError)
  })

  it('malformed: a 200 JSON answer that is not JSON makes the SDK throw', async () => {
    fake.script({ malformed: true })
    await expect(client.chat.completions.create(request)).rejects.toThrow()
  })

  it('malformed: a `data: {not json` chunk mid-stream makes the SDK stream throw', async () => {
    fake.script({ malformed: true, reply: 'one two three four', chunkSize: 3 })
    const logged: unknown[][] = []
    const quiet = { debug() {}, info() {}, warn() {}, error: (...args: unknown[]) => void logged.push(args) }
    const sdk = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0, logger: quiet })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    const stream = await sdk.chat.completions.create({ ...request, stream: true })
    await expect(drain(stream, chunks)).rejects.toThrow()
    expect(chunks.length).toBeGreaterThan(0)
    expect(logged[0]).toEqual(['Could not parse message into JSON:', '{not json'])
  })

  it('latencyMs delays the answer and chunkDelayMs paces the stream', async () => {
    fake.script({ latencyMs: 120, reply: 'x' }, { reply: 'abc', chunkSize: 1, chunkDelayMs: 40 })
    let started = Date.now()
    await client.chat.completions.create(request)
    expect(Date.now() - started).toBeGreaterThanOrEqual(110)
    started = Date.now()
    const chunks: OpenAI.ChatCompletionChunk[] = []
    await drain(await client.chat.completions.create({ ...request, stream: true }), chunks)
    // role + 3 content + finish chunks, each after a 40 ms pause except the first
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 40 - 10)
  })

  it('sends Retry-After and custom headers on errors and successes', async () => {
    fake.script({ status: 503, retryAfter: 7, headers: { 'x-ratelimit-remaining-requests': '0' } }, { headers: { 'x-custom': 'yes' } })
    const failed = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(request) })
    expect(failed.status).toBe(503)
    expect(failed.headers.get('retry-after')).toBe('7')
    expect(failed.headers.get('x-ratelimit-remaining-requests')).toBe('0')
    expect(await failed.json()).toEqual({
      error: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', param: null, code: null },
    })
    const ok = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(request) })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-custom')).toBe('yes')
    expect(ok.headers.get('x-request-id')).toMatch(/^req_/)
  })
})

describe('fake OpenAI upstream: lifecycle', () => {
  it('close() returns promptly with a hanging request and a paced stream open', async () => {
    const local = await startFakeOpenAI()
    local.script({ hang: true }, { reply: 'slow', chunkSize: 1, chunkDelayMs: 60_000 })
    const hanging = fetch(`${local.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(request) })
    const streaming = await fetch(`${local.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...request, stream: true }),
    })
    const reader = streaming.body!.getReader()
    await reader.read()
    expect(local.inFlight).toBe(2)
    const started = Date.now()
    await local.close()
    expect(Date.now() - started).toBeLessThan(500)
    await expect(hanging).rejects.toThrow()
    await expect(reader.read()).rejects.toThrow()
    expect(local.inFlight).toBe(0)
    await local.close()
  })

  it('close() is prompt with idle keep-alive connections too', async () => {
    const local = await startFakeOpenAI()
    const sdk = new OpenAI({ apiKey: 'k', baseURL: local.baseURL, maxRetries: 0 })
    await sdk.chat.completions.create(request)
    const started = Date.now()
    await local.close()
    expect(Date.now() - started).toBeLessThan(500)
  })

  it('consumes scripted behaviors in order, then the default; function behaviors template from the call', async () => {
    fake.script({ reply: 'first' }, (call) => ({ reply: `model was ${(call.body as { model: string }).model}` }))
    expect(fake.queued).toBe(2)
    const replies: Array<string | null | undefined> = []
    for (let index = 0; index < 3; index++) {
      replies.push((await client.chat.completions.create(request)).choices[0]?.message.content)
    }
    expect(replies).toEqual(['first', 'model was gpt-4o-mini', 'You said: hi'])
    fake.setDefault({ reply: 'new default' })
    expect((await client.chat.completions.create(request)).choices[0]?.message.content).toBe('new default')
    fake.script({ reply: 'queued' })
    fake.reset()
    expect(fake.calls).toHaveLength(0)
    expect(fake.queued).toBe(0)
    expect((await client.chat.completions.create(request)).choices[0]?.message.content).toBe('You said: hi')
  })

  it('validates Authorization only when apiKeys is given', async () => {
    const guarded = await startFakeOpenAI({ apiKeys: ['good-key'] })
    try {
      const bad = new OpenAI({ apiKey: 'sk-wrong-key-123', baseURL: guarded.baseURL, maxRetries: 0 })
      const error = await bad.chat.completions.create(request).catch((thrown: unknown) => thrown)
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key')
      expect((error as Error).message).not.toContain('sk-wrong-key-123')
      const missing = await fetch(`${guarded.baseURL}/models`)
      expect(missing.status).toBe(401)
      const good = new OpenAI({ apiKey: 'good-key', baseURL: guarded.baseURL, maxRetries: 0 })
      expect((await good.chat.completions.create(request)).choices[0]?.message.content).toBe('You said: hi')
    } finally {
      await guarded.close()
    }
  })

  it('answers unknown routes with 404 and bad bodies with 400, in OpenAI’s error shape', async () => {
    const unknown = await fetch(`${fake.baseURL}/embeddings`, { method: 'POST', body: '{}' })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error' } })
    const notJson = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: '{oops' })
    expect(notJson.status).toBe(400)
    expect(fake.calls.at(-1)).toMatchObject({ rawBody: '{oops', body: undefined })
    const noModel = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [] }) })
    expect(noModel.status).toBe(400)
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toContain('model')
    const missingModel = await fetch(`${fake.baseURL}/models/nope`)
    expect(missingModel.status).toBe(404)
  })

  it('reports a port already in use clearly', async () => {
    await expect(startFakeOpenAI({ port: fake.port })).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+/)
  })
})
