import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeAnthropic, type FakeUpstream } from '../src/index.js'

// The official SDK is the judge: if it parses what the fake sends, the fake speaks Anthropic.
let fake: FakeUpstream
let client: Anthropic
beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKeys: ['sk-ant-test'] })
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const request = { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user' as const, content: 'Hello' }] }
const weather = { name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }

describe('fake Anthropic upstream, read by @anthropic-ai/sdk', () => {
  it('answers a message with text, stop reason and usage incl. cache reads and writes', async () => {
    fake.script({ reply: 'Hi there', usage: { prompt_tokens: 100, completion_tokens: 7, cached_tokens: 60, cache_write_tokens: 30 } })
    const message = await client.messages.create(request)
    expect(message.type).toBe('message')
    expect(message.content).toEqual([{ type: 'text', text: 'Hi there' }])
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage).toMatchObject({ input_tokens: 10, cache_read_input_tokens: 60, cache_creation_input_tokens: 30, output_tokens: 7 })
    const call = fake.calls.at(-1)!
    expect(call.headers['x-api-key'] ?? call.headers.authorization).toMatch(/^(Bearer )?sk-ant-test$/)
    expect(call.headers['anthropic-version']).toBeTruthy()
  })

  it('streams text through the SDK’s MessageStream, final usage from message_delta', async () => {
    fake.script({ reply: 'streamed words here', chunkSize: 4, usage: { prompt_tokens: 20, completion_tokens: 5, cached_tokens: 8 } })
    const stream = client.messages.stream(request)
    const texts: string[] = []
    stream.on('text', (delta) => texts.push(delta))
    const message = await stream.finalMessage()
    expect(texts.length).toBeGreaterThan(2)
    expect(texts.join('')).toBe('streamed words here')
    expect(message.usage).toMatchObject({ input_tokens: 12, cache_read_input_tokens: 8, output_tokens: 5 })
    expect(message.stop_reason).toBe('end_turn')
  })

  it('streams a tool call whose input JSON arrives in pieces', async () => {
    fake.script({ toolCalls: [{ id: 'toolu_01abc', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }], chunkSize: 6 })
    const stream = client.messages.stream({ ...request, tools: [weather] })
    const partials: string[] = []
    stream.on('inputJson', (partial) => partials.push(partial))
    const message = await stream.finalMessage()
    expect(partials.length).toBeGreaterThan(1)
    expect(message.content).toEqual([{ type: 'tool_use', id: 'toolu_01abc', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }])
    expect(message.stop_reason).toBe('tool_use')
  })

  it('answers non-streamed tool calls as tool_use blocks', async () => {
    fake.script({ reply: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] })
    const message = await client.messages.create({ ...request, tools: [weather] })
    expect(message.content[0]).toEqual({ type: 'text', text: 'Let me check.' })
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } })
    expect((message.content[1] as { id: string }).id).toMatch(/^toolu_/)
  })

  it.each([
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [404, Anthropic.NotFoundError, 'not_found_error'],
    [429, Anthropic.RateLimitError, 'rate_limit_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
    [529, Anthropic.InternalServerError, 'overloaded_error'],
  ])('answers a scripted %i as the SDK’s typed error (%s)', async (status, type, errorType) => {
    fake.script({ status, retryAfter: status === 429 ? 3 : undefined })
    const error = await client.messages.create(request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(type)
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: errorType } })
    if (status === 429) expect((error as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after')).toBe('3')
  })

  it('refuses a wrong key with authentication_error and a missing max_tokens with invalid_request_error', async () => {
    const wrong = new Anthropic({ apiKey: 'nope', baseURL: fake.url, maxRetries: 0 })
    await expect(wrong.messages.create(request)).rejects.toBeInstanceOf(Anthropic.AuthenticationError)
    const response = await fetch(`${fake.baseURL}/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [] }) })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } })
  })

  it('ends a malformed stream with an error the SDK raises', async () => {
    fake.script({ reply: 'this stream breaks in the middle', chunkSize: 3, malformed: true })
    const stream = client.messages.stream(request)
    await expect(stream.finalMessage()).rejects.toThrow()
  })

  it('counts tokens and lists models', async () => {
    fake.script({ usage: { prompt_tokens: 42, completion_tokens: 0 } })
    expect(await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: request.messages })).toEqual({ input_tokens: 42 })
    const ids: string[] = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5'])
  })
})
