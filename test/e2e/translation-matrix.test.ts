import type { Mesh } from '@modelmesh/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  INGRESSES, PROVIDERS, UPSTREAM_FINISH, UPSTREAM_MODEL, UPSTREAM_SAW, meshOverAllFakes, readEvents, send, startFakes,
  type Fakes, type IngressClient, type ProviderName,
} from './matrix-helpers.js'

// Every ingress dialect × every provider × every feature is one test. Same-dialect cells go through
// passthrough, the others through the canonical form; both must give the client the same answer.

let fakes: Fakes
let mesh: Mesh
beforeAll(async () => {
  fakes = await startFakes()
  mesh = await meshOverAllFakes(fakes)
})
afterAll(async () => {
  await mesh.close()
  await fakes.close()
})
beforeEach(() => {
  for (const p of PROVIDERS) fakes[p].reset()
})

interface Cell {
  client: IngressClient
  provider: ProviderName
  model: string
  fake: () => Fakes[ProviderName]
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
const SCHEMA = { type: 'object', properties: { city: { type: 'string' }, degrees: { type: 'number' } }, required: ['city', 'degrees'], additionalProperties: false }

async function ask(cell: Cell, options: Parameters<IngressClient['body']>[1]) {
  const response = await send(mesh, cell.client, cell.client.body(cell.model, options))
  expect(response.status, await response.clone().text()).toBe(200)
  return options.stream ? cell.client.readStream(await readEvents(response)) : cell.client.read(await response.json())
}

const upstreamBody = (cell: Cell) => cell.fake().calls.at(-1)!.body as any

const FEATURES: Array<[name: string, run: (cell: Cell) => Promise<void>]> = [
  ['plain text', async (cell) => {
    cell.fake().script({ reply: `Hello from ${cell.provider}` })
    const view = await ask(cell, { text: 'Say hello' })
    expect(view.text).toBe(`Hello from ${cell.provider}`)
    expect(view.finish).toBe(cell.client.finishWords.stop)
    const call = cell.fake().calls.at(-1)!
    if (cell.provider === 'google') expect(call.path).toBe(`/v1beta/models/${UPSTREAM_MODEL.google}:generateContent`)
    else expect((call.body as { model: string }).model).toBe(UPSTREAM_MODEL[cell.provider])
    expect(cell.fake().calls).toHaveLength(1)
  }],
  ['stream', async (cell) => {
    cell.fake().script({ reply: 'a streamed answer in pieces', chunkSize: 4 })
    const view = await ask(cell, { stream: true })
    expect(view.text).toBe('a streamed answer in pieces')
    expect(view.textDeltas, 'text arrives as several deltas, never buffered whole').toBeGreaterThan(2)
    expect(view.terminated).toBe(true)
    expect(view.finish).toBe(cell.client.finishWords.stop)
    expect(view.error).toBeUndefined()
  }],
  ['tools incl. streamed tool-call arguments', async (cell) => {
    const args = { city: 'Paris', unit: 'celsius' }
    cell.fake().script({ toolCalls: [{ id: 'call_matrix_1', name: 'get_weather', arguments: args }] }, { toolCalls: [{ id: 'call_matrix_2', name: 'get_weather', arguments: args }], chunkSize: 5 })
    const whole = await ask(cell, { tools: true })
    expect(UPSTREAM_SAW.toolName(cell.provider, upstreamBody(cell))).toBe('get_weather')
    expect(whole.toolCalls).toHaveLength(1)
    expect(whole.toolCalls[0]!.name).toBe('get_weather')
    expect(JSON.parse(whole.toolCalls[0]!.arguments)).toEqual(args)
    expect(whole.finish).toBe(cell.client.finishWords.toolCalls)
    const streamed = await ask(cell, { tools: true, stream: true })
    expect(streamed.toolCalls).toHaveLength(1)
    expect(streamed.toolCalls[0]).toMatchObject({ id: 'call_matrix_2', name: 'get_weather' })
    expect(JSON.parse(streamed.toolCalls[0]!.arguments)).toEqual(args)
    // Gemini sends a call whole; the others stream its arguments in fragments, and so must the gateway.
    if (cell.provider === 'google') expect(streamed.argumentDeltas[0]).toBe(1)
    else expect(streamed.argumentDeltas[0]).toBeGreaterThan(1)
    expect(streamed.finish).toBe(cell.client.finishWords.toolCalls)
  }],
  ['image input', async (cell) => {
    cell.fake().script({ reply: 'a red pixel' })
    const view = await ask(cell, { text: 'What is this?', imageBase64: PNG })
    expect(UPSTREAM_SAW.image(cell.provider, upstreamBody(cell))).toEqual({ mediaType: 'image/png', data: PNG })
    expect(view.text).toBe('a red pixel')
  }],
  ['JSON-schema output', async (cell) => {
    const answer = JSON.stringify({ city: 'Paris', degrees: 21 })
    cell.fake().script({ reply: answer })
    const view = await ask(cell, { jsonSchema: SCHEMA })
    expect(UPSTREAM_SAW.schema(cell.provider, upstreamBody(cell))).toEqual(SCHEMA)
    expect(JSON.parse(view.text)).toEqual({ city: 'Paris', degrees: 21 })
  }],
  ['usage with cached tokens', async (cell) => {
    const usage = { prompt_tokens: 100, completion_tokens: 20, cached_tokens: 40 }
    cell.fake().script({ reply: 'cached', usage }, { reply: 'cached', usage, chunkSize: 2 })
    const expected = cell.client.name === 'openai.chat' ? { input: 100, output: 20, cached: 40 } : { input: 60, output: 20, cached: 40 }
    expect((await ask(cell, {})).usage).toMatchObject(expected)
    expect((await ask(cell, { stream: true })).usage).toMatchObject(expected)
  }],
  ['stop/finish reasons', async (cell) => {
    const words = UPSTREAM_FINISH[cell.provider]
    cell.fake().script({ reply: 'cut sho', finishReason: words.length }, { reply: '', finishReason: words.contentFilter }, { reply: 'cut again', finishReason: words.length, chunkSize: 3 })
    expect((await ask(cell, { maxTokens: 3 })).finish).toBe(cell.client.finishWords.length)
    expect((await ask(cell, {})).finish).toBe(cell.client.finishWords.contentFilter)
    expect((await ask(cell, { stream: true })).finish).toBe(cell.client.finishWords.length)
  }],
  ['upstream error mapping', async (cell) => {
    // A fresh gateway: errors must not leave the shared deployment in standby for the next cell.
    const own = await meshOverAllFakes(fakes)
    try {
      const cases: Array<[status: number, clientStatus: number, type: string]> = [
        [400, 400, 'invalid_request_error'],
        [429, 429, 'rate_limit_error'],
        [500, 502, cell.client.name === 'openai.chat' ? 'upstream_error' : 'api_error'],
      ]
      for (const [status, clientStatus, type] of cases) {
        cell.fake().script({ status, retryAfter: status === 429 ? 1 : undefined })
        const response = await send(own, cell.client, cell.client.body(cell.model, {}))
        expect(response.status, `upstream ${status}`).toBe(clientStatus)
        const body = await response.json()
        // Same dialect, the upstream's own 400 body passes through; either way it is in the client's shape.
        expect(cell.client.errorType(body), `upstream ${status}`).toBe(type)
        if (status === 429) expect(response.headers.get('retry-after')).toBe('1')
      }
    } finally {
      await own.close()
    }
  }],
]

describe.each(INGRESSES)('ingress $name', (client) => {
  describe.each(PROVIDERS)('provider %s', (provider) => {
    const cell: Cell = { client, provider, model: `m-${provider}`, fake: () => fakes[provider] }
    it.each(FEATURES)('%s', (_name, run) => run(cell))
  })
})
