import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeUpstream } from '../src/index.js'

// The official SDK is the judge of wire compatibility: if it parses the fake, real clients will.
let fake: FakeUpstream
let client: OpenAI

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['gpt-4o-mini', { id: 'o3-mini', owned_by: 'system', created: 1_737_000_000 }] })
  client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0, timeout: 5_000 })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }]

describe('fake OpenAI upstream, read by the official openai SDK', () => {
  it('answers a chat completion with OpenAI’s shape and usage details', async () => {
    fake.script({ reply: 'Hello there!', usage: { prompt_tokens: 12, completion_tokens: 4, cached_tokens: 8, reasoning_tokens: 1 } })
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    expect(completion.object).toBe('chat.completion')
    expect(completion.id).toMatch(/^chatcmpl-/)
    expect(completion.model).toBe('gpt-4o-mini')
    expect(typeof completion.created).toBe('number')
    expect(completion.system_fingerprint).toMatch(/^fp_/)
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hello there!' })
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    expect(completion.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 1 },
    })
  })

  it('echoes the last user message by default and estimates usage from lengths', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    expect(completion.choices[0]?.message.content).toBe('You said: Say hello')
    expect(completion.usage?.prompt_tokens).toBe(Math.ceil('Say hello'.length / 4))
    expect(completion.usage?.completion_tokens).toBe(Math.ceil('You said: Say hello'.length / 4))
  })

  it('streams content deltas without a usage chunk when include_usage is not asked for', async () => {
    fake.script({ reply: 'Streaming works fine.', chunkSize: 3 })
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' })
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Streaming works fine.')
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBe(Math.ceil('Streaming works fine.'.length / 3))
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop')
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && !('usage' in chunk))).toBe(true)
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1)
  })

  it('streams a final usage chunk (choices: []) when include_usage is true', async () => {
    fake.script({ reply: 'Counted.', usage: { prompt_tokens: 9, completion_tokens: 2 } })
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Counted.')
    const last = chunks.at(-1)
    expect(last?.choices).toEqual([])
    expect(last?.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 })
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true)
  })

  it('streams a tool call the SDK’s stream helper assembles into JSON arguments', async () => {
    fake.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', days: 3 } }], chunkSize: 4 })
    const runner = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    })
    const completion = await runner.finalChatCompletion()
    const choice = completion.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    const toolCall = choice?.message.tool_calls?.[0]
    expect(toolCall?.type).toBe('function')
    expect(toolCall?.id).toMatch(/^call_/)
    if (toolCall?.type !== 'function') throw new Error('expected a function tool call')
    expect(toolCall.function.name).toBe('get_weather')
    expect(JSON.parse(toolCall.function.arguments)).toEqual({ city: 'Paris', days: 3 })
  })

  it('answers a non-streamed tool call with content null', async () => {
    fake.script({ toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] })
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
    expect(completion.choices[0]?.message.content).toBeNull()
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
    ])
  })

  it('lists the configured models', async () => {
    const ids: string[] = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).toEqual(['gpt-4o-mini', 'o3-mini'])
    const model = await client.models.retrieve('o3-mini')
    expect(model).toMatchObject({ id: 'o3-mini', object: 'model', owned_by: 'system', created: 1_737_000_000 })
  })

  it('surfaces a scripted 429 as RateLimitError with the Retry-After header', async () => {
    fake.script({ status: 429, retryAfter: 1 })
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(OpenAI.RateLimitError)
    const apiError = error as InstanceType<typeof OpenAI.APIError>
    expect(apiError.status).toBe(429)
    expect(apiError.headers?.get('retry-after')).toBe('1')
    expect(apiError.code).toBe('rate_limit_exceeded')
    expect(apiError.type).toBe('requests')
  })

  it('surfaces a scripted 500 (also on a stream request) as InternalServerError', async () => {
    fake.script({ status: 500 }, { status: 503, errorBody: { error: { message: 'custom', type: 'x', param: null, code: 'y' } } })
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(OpenAI.InternalServerError)
    expect((first as InstanceType<typeof OpenAI.APIError>).status).toBe(500)
    const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e)
    expect(second).toBeInstanceOf(OpenAI.APIError)
    expect((second as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((second as InstanceType<typeof OpenAI.APIError>).code).toBe('y')
  })

  it('records each call with method, path, lower-cased headers and the parsed body', async () => {
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.2 })
    expect(fake.calls).toHaveLength(1)
    const [call] = fake.calls
    expect(call).toMatchObject({ method: 'POST', path: '/v1/chat/completions' })
    expect(call?.headers.authorization).toBe('Bearer sk-test')
    expect(call?.headers['content-type']).toContain('application/json')
    expect(call?.body).toEqual({ model: 'gpt-4o-mini', messages, temperature: 0.2 })
    expect(Math.abs((call?.time ?? 0) - Date.now())).toBeLessThan(5_000)
  })
})
