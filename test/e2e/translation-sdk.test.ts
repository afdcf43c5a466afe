import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { serveMesh, type Gateway } from './helpers.js'
import { INGRESSES, PROVIDERS, meshOverAllFakes, readEvents, send, startFakes, type Fakes } from './matrix-helpers.js'

// The "done when" of cross-dialect translation, judged by the official SDKs over real HTTP.
let fakes: Fakes
let gateway: Gateway
const logged: Array<{ error: unknown; requestId: string }> = []
beforeAll(async () => {
  fakes = await startFakes()
  gateway = await serveMesh(await meshOverAllFakes(fakes, { onError: (error, requestId) => logged.push({ error, requestId }) }))
})
afterAll(async () => {
  await gateway.close()
  await fakes.close()
})
beforeEach(() => {
  for (const p of PROVIDERS) fakes[p].reset()
  logged.length = 0
})

const weatherArgs = { city: 'Paris', unit: 'celsius' }
const usage = { prompt_tokens: 120, completion_tokens: 18, cached_tokens: 50 }

describe('official SDKs through the gateway, across dialects', () => {
  it('the openai SDK streams a tool call from a Google model, with usage at the end', async () => {
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: 'client-key', maxRetries: 0 })
    fakes.google.script({ toolCalls: [{ name: 'get_weather', arguments: weatherArgs }], usage })
    const stream = await client.chat.completions.create({
      model: 'm-google',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let name = ''
    let args = ''
    let id = ''
    let finish: string | null | undefined
    let final: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        id ||= call.id ?? ''
        name += call.function?.name ?? ''
        args += call.function?.arguments ?? ''
      }
      finish ??= chunk.choices[0]?.finish_reason
      if (chunk.usage) final = chunk.usage
    }
    expect(name).toBe('get_weather')
    expect(id).toMatch(/^call_/)
    expect(JSON.parse(args)).toEqual(weatherArgs)
    expect(finish).toBe('tool_calls')
    expect(final).toMatchObject({ prompt_tokens: 120, completion_tokens: 18, total_tokens: 138, prompt_tokens_details: { cached_tokens: 50 } })
    expect(fakes.google.calls.at(-1)?.url).toContain('gemini-2.5-flash:streamGenerateContent?alt=sse')
  })

  it('@anthropic-ai/sdk streams a tool call from an OpenAI model, with usage at the end', async () => {
    const client = new Anthropic({ baseURL: gateway.baseURL.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0 })
    fakes.openai.script({ toolCalls: [{ id: 'call_from_openai', name: 'get_weather', arguments: weatherArgs }], usage, chunkSize: 4 })
    const stream = client.messages.stream({
      model: 'm-openai',
      max_tokens: 512,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    })
    const partials: string[] = []
    stream.on('inputJson', (delta) => partials.push(delta))
    const message = await stream.finalMessage()
    expect(partials.length).toBeGreaterThan(1)
    expect(message.content).toEqual([{ type: 'tool_use', id: 'call_from_openai', name: 'get_weather', input: weatherArgs }])
    expect(message.stop_reason).toBe('tool_use')
    expect(message.model).toBe('m-openai')
    expect(message.usage).toMatchObject({ input_tokens: 70, cache_read_input_tokens: 50, output_tokens: 18 })
    // The upstream got an OpenAI request with the tool, and was asked for stream usage.
    const sent = fakes.openai.calls.at(-1)!.body as { tools: Array<{ function: { name: string } }>; stream_options: unknown; max_completion_tokens: number }
    expect(sent.tools[0]!.function.name).toBe('get_weather')
    expect(sent.stream_options).toEqual({ include_usage: true })
    expect(sent.max_completion_tokens).toBe(512)
  })
})

describe.each(INGRESSES)('$name clients: stream usage is never lost', (client) => {
  it.each(PROVIDERS)('from %s, the streamed final usage (cached tokens too) equals the non-streamed one', async (provider) => {
    fakes[provider].script({ reply: 'the same scripted reply', usage }, { reply: 'the same scripted reply', usage, chunkSize: 3 })
    const whole = client.read(await (await send(gateway.mesh, client, client.body(`m-${provider}`, {}))).json())
    const streamed = client.readStream(await readEvents(await send(gateway.mesh, client, client.body(`m-${provider}`, { stream: true }))))
    expect(streamed.text).toBe(whole.text)
    expect(streamed.usage).toEqual(whole.usage)
    expect(whole.usage.cached).toBe(50)
    expect(whole.usage.output).toBe(18)
  })
})

describe.each(INGRESSES)('$name clients: an upstream that breaks its stream', (client) => {
  it.each(PROVIDERS)('with a malformed chunk from %s: a proper error event, a log line, and the next request served', async (provider) => {
    fakes[provider].script({ reply: 'this answer will be broken by a malformed chunk', chunkSize: 4, malformed: true }, { reply: 'still serving' })
    const response = await send(gateway.mesh, client, client.body(`m-${provider}`, { stream: true }))
    expect(response.status).toBe(200)
    const events = await readEvents(response)
    const view = client.readStream(events)
    expect(view.text.length, 'some text arrived before the break').toBeGreaterThan(0)
    expect(view.error?.message).toMatch(/malformed|not JSON/)
    if (client.name === 'anthropic.messages') {
      const last = events.at(-1)!
      expect(last.event).toBe('error')
      expect(JSON.parse(last.data)).toEqual({ type: 'error', error: { type: 'api_error', message: expect.any(String) } })
      expect(view.terminated, 'no message_stop after an error').toBe(false)
    } else {
      // The error chunk is last, or last before `[DONE]` (the canonical encoder closes every stream alike).
      const tail = events.at(-1)!.data === '[DONE]' ? events.at(-2)! : events.at(-1)!
      expect(JSON.parse(tail.data).error).toMatchObject({ message: expect.any(String), type: expect.any(String) })
    }
    await expect.poll(() => logged.length).toBe(1)
    expect(String((logged[0]!.error as Error).message)).toMatch(/ended early/)
    expect(logged[0]!.requestId).toBe(response.headers.get('x-mesh-request-id'))
    const next = client.read(await (await send(gateway.mesh, client, client.body(`m-${provider}`, {}))).json())
    expect(next.text).toBe('still serving')
  })
})
