import { ApiError, GoogleGenAI, FinishReason } from '@google/genai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGoogle, type FakeGoogleUpstream } from '../src/index.js'

// The official SDK is the judge: if it parses what the fake sends, the fake speaks Gemini.
let fake: FakeGoogleUpstream
let client: GoogleGenAI
beforeAll(async () => {
  fake = await startFakeGoogle({ apiKeys: ['gemini-test-key'] })
  client = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: fake.url } })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const model = 'gemini-2.5-flash'
const weather = { name: 'get_weather', description: 'Weather of a city', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }

describe('fake Google upstream, read by @google/genai', () => {
  it('answers generateContent with text, finish reason and usageMetadata incl. cached and thought tokens', async () => {
    fake.script({ reply: 'Hi there', usage: { prompt_tokens: 100, completion_tokens: 9, cached_tokens: 64, reasoning_tokens: 4 } })
    const response = await client.models.generateContent({ model, contents: 'Hello' })
    expect(response.text).toBe('Hi there')
    expect(response.candidates?.[0]?.finishReason).toBe(FinishReason.STOP)
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 100, candidatesTokenCount: 5, thoughtsTokenCount: 4, cachedContentTokenCount: 64, totalTokenCount: 109 })
    const call = fake.calls.at(-1)!
    expect(call.path).toBe(`/v1beta/models/${model}:generateContent`)
    expect(call.headers['x-goog-api-key']).toBe('gemini-test-key')
  })

  it('streams text chunk by chunk with SSE, the last chunk carrying the finish reason and usage', async () => {
    fake.script({ reply: 'streamed words here', chunkSize: 4, usage: { prompt_tokens: 20, completion_tokens: 5 } })
    const chunks = []
    for await (const chunk of await client.models.generateContentStream({ model, contents: 'Hello' })) chunks.push(chunk)
    expect(chunks.length).toBeGreaterThan(2)
    expect(chunks.map((c) => c.text ?? '').join('')).toBe('streamed words here')
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe(FinishReason.STOP)
    expect(chunks.at(-1)?.usageMetadata).toMatchObject({ promptTokenCount: 20, candidatesTokenCount: 5 })
    expect(fake.calls.at(-1)?.url).toContain(':streamGenerateContent?alt=sse')
  })

  it('streams a function call, whole, in one chunk', async () => {
    fake.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] })
    const calls = []
    for await (const chunk of await client.models.generateContentStream({ model, contents: 'Weather?', config: { tools: [{ functionDeclarations: [weather] }] } })) {
      calls.push(...(chunk.functionCalls ?? []))
    }
    expect(calls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }])
    expect((fake.calls.at(-1)?.body as { tools?: unknown }).tools).toEqual([{ functionDeclarations: [weather] }])
  })

  it('reports a safety block as finishReason SAFETY', async () => {
    fake.script({ reply: '', finishReason: 'SAFETY' })
    const response = await client.models.generateContent({ model, contents: 'something unsafe' })
    expect(response.candidates?.[0]?.finishReason).toBe(FinishReason.SAFETY)
  })

  it.each([
    [400, 'INVALID_ARGUMENT'],
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
  ])('answers a scripted %i as the SDK’s ApiError with status %s', async (status, name) => {
    fake.script({ status })
    const error = await client.models.generateContent({ model, contents: 'x' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(status)
    expect(JSON.parse((error as ApiError).message)).toMatchObject({ error: { code: status, status: name } })
  })

  it('refuses a wrong API key with 400 API_KEY_INVALID, as Google does', async () => {
    const wrong = new GoogleGenAI({ apiKey: 'nope', httpOptions: { baseUrl: fake.url } })
    const error = await wrong.models.generateContent({ model, contents: 'x' }).catch((e: unknown) => e)
    expect((error as ApiError).status).toBe(400)
    expect((error as ApiError).message).toContain('API_KEY_INVALID')
  })

  it('ends a malformed stream with an error the SDK raises', async () => {
    fake.script({ reply: 'this stream breaks in the middle', chunkSize: 3, malformed: true })
    const consume = async () => {
      for await (const _chunk of await client.models.generateContentStream({ model, contents: 'x' })) void _chunk
    }
    await expect(consume()).rejects.toThrow()
  })
})
