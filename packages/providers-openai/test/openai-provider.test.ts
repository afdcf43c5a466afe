import { closeUpstreamClients, UpstreamError, type ChatRequest, type StreamPart } from '@modelmesh/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openai } from '../src/index.js'
import { completion, context, json, sse, startServer, type TestServer } from './helpers.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
beforeEach(() => {
  server.received.length = 0
})
afterAll(async () => {
  await closeUpstreamClients()
  await server.close()
})

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  specificationVersion: 'mesh.chat.v1',
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  ...extra,
})

const provider = () => openai({ baseURL: `${server.origin}/v1/`, keys: ['sk-test'], organization: 'org-1', project: 'proj-1', headers: { 'X-Extra': 'yes' } })

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = []
  for await (const part of parts) out.push(part)
  return out
}

describe('openai() provider', () => {
  it('describes itself with a JSON descriptor that keeps secret references', () => {
    const p = openai({ keys: [{ $secret: 'OPENAI_API_KEY' }], organization: 'org-1' })
    expect(p).toMatchObject({ specificationVersion: 'mesh.provider.v1', id: 'openai', dialect: 'openai.chat', baseURL: 'https://api.openai.com/v1' })
    expect(p.descriptor).toEqual({ package: '@modelmesh/providers-openai', factory: 'openai', options: { keys: [{ $secret: 'OPENAI_API_KEY' }], organization: 'org-1' } })
    expect(openai().keys).toEqual([{ $secret: 'OPENAI_API_KEY' }])
  })

  it('doForward posts the body as-is with the credential, org/project and request id headers', async () => {
    server.reply = json(200, completion('ok'))
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], unknown_field: 1 }
    const response = await provider().doForward({ operation: 'chat/completions', body, stream: false }, context())
    expect(response.status).toBe(200)
    expect(JSON.parse(await response.text()).choices[0].message.content).toBe('ok')
    const [call] = server.received
    expect(call).toMatchObject({ method: 'POST', url: '/v1/chat/completions' })
    expect(JSON.parse(call!.body)).toEqual(body)
    expect(call!.headers).toMatchObject({
      authorization: 'Bearer sk-test', 'openai-organization': 'org-1', 'openai-project': 'proj-1', 'x-extra': 'yes', 'x-request-id': 'req_123', 'content-type': 'application/json',
    })
  })

  it('doForward returns error statuses and sends no credential header without a key', async () => {
    server.reply = json(429, { error: { message: 'slow down' } }, { 'retry-after': '1' })
    const response = await provider().doForward({ operation: 'chat/completions', body: { model: 'm' }, stream: false }, context(null))
    expect(response.status).toBe(429)
    expect(server.received[0]!.headers.authorization).toBeUndefined()
  })

  it('doForward refuses operations that are not a relative API path', async () => {
    await expect(provider().doForward({ operation: '../admin', body: {}, stream: false }, context())).rejects.toThrow(/not a relative API path/)
    await expect(provider().doForward({ operation: 'http://evil.test/x', body: {}, stream: false }, context())).rejects.toThrow(/not a relative API path/)
    expect(server.received).toHaveLength(0)
  })

  it('doChat sends the canonical request as OpenAI JSON and maps the answer', async () => {
    server.reply = json(200, completion('Hello', { usage: { prompt_tokens: 50, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 32 } } }))
    const response = await provider().doChat(request({ maxOutputTokens: 20, providerOptions: { openai: { logprobs: true } } }), context())
    expect(JSON.parse(server.received[0]!.body)).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 20, logprobs: true })
    expect(response.content).toEqual([{ type: 'text', text: 'Hello' }])
    expect(response.usage).toMatchObject({ inputTokens: 50, outputTokens: 3, cachedInputTokens: 32 })
  })

  it('doChat throws a classified UpstreamError with the upstream message on a non-2xx answer', async () => {
    server.reply = json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } })
    const error = await provider().doChat(request(), context()).catch((e: unknown) => e)
    expect(UpstreamError.isInstance(error)).toBe(true)
    const upstream = error as UpstreamError
    expect(upstream.status).toBe(401)
    expect(upstream.message).toContain('Incorrect API key provided')
    expect(upstream.classification).toEqual({ retryable: true, scope: 'key', reason: 'http_401' })
  })

  it('doChat reports a 200 that is not a completion as a retryable provider failure', async () => {
    server.reply = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>')
    const error = (await provider().doChat(request(), context()).catch((e: unknown) => e)) as UpstreamError
    expect(error.classification).toMatchObject({ scope: 'provider', reason: 'invalid_upstream_response' })
  })

  it('doStream asks for usage and decodes the chunks', async () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] })
    server.reply = sse([chunk({ role: 'assistant', content: 'He' }), chunk({ content: 'llo' }), chunk({}, 'stop'), { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } }, '[DONE]'])
    const parts = await collect(await provider().doStream(request(), context()))
    const sent = JSON.parse(server.received[0]!.body)
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    expect(server.received[0]!.headers.accept).toBe('text/event-stream')
    expect(parts.map((p) => p.type)).toEqual(['start', 'text-delta', 'text-delta', 'usage', 'finish'])
  })

  it('doStream ends with an error part when the connection drops mid-stream', async () => {
    const chunk = (content: string) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })
    server.reply = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': '100000' })
      res.write(`data: ${JSON.stringify(chunk('a'))}\n\n`)
      setTimeout(() => res.destroy(), 20)
      void req
    }
    const parts = await collect(await provider().doStream(request(), context()))
    expect(parts.at(-1)).toMatchObject({ type: 'error' })
    expect(parts.some((p) => p.type === 'finish')).toBe(false)
  })

  it('doStream throws the classified error before streaming on a non-2xx answer', async () => {
    server.reply = json(503, { error: { message: 'overloaded' } })
    const error = (await provider().doStream(request(), context()).catch((e: unknown) => e)) as UpstreamError
    expect(error.classification).toEqual({ retryable: true, scope: 'provider', reason: 'http_503' })
  })

  it('listModels reads GET /models, merging the configured model info', async () => {
    server.reply = json(200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model' }, { id: 'other', context_length: 8192 }] })
    const p = openai({ baseURL: `${server.origin}/v1`, keys: ['k'], models: { 'gpt-4o-mini': { id: 'gpt-4o-mini', pricing: { input: 0.15, output: 0.6 } } } })
    const models = await p.listModels!(context())
    expect(server.received[0]).toMatchObject({ method: 'GET', url: '/v1/models' })
    expect(models).toEqual([{ id: 'gpt-4o-mini', pricing: { input: 0.15, output: 0.6 } }, { id: 'other', contextWindow: 8192 }])
    expect(p.pricing!('gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 })
  })

  it('aborts the call when ctx.signal aborts', async () => {
    server.reply = () => {}
    const controller = new AbortController()
    const pending = provider().doChat(request(), context('sk', controller.signal))
    setTimeout(() => controller.abort(new Error('client gone')), 20)
    await expect(pending).rejects.toThrow('client gone')
  })

  it('rejects a base URL that is not http(s) with a config error naming the option', () => {
    expect(() => openai({ baseURL: 'api.openai.com/v1' })).toThrow(/openai\(\)\.baseURL/)
  })
})
