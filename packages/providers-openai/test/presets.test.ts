import { closeUpstreamClients, ConfigError, type ChatRequest } from '@modelmesh/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  azureOpenAI,
  azureURL,
  deepseek,
  fireworks,
  groq,
  lmstudio,
  mistral,
  ollama,
  openai,
  openaiCompatible,
  openrouter,
  together,
  vllm,
  xai,
} from '../src/index.js'
import { completion, context, json, startServer, type TestServer } from './helpers.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await closeUpstreamClients()
  await server.close()
})

const chat: ChatRequest = { specificationVersion: 'mesh.chat.v1', model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxOutputTokens: 9 }

describe('presets', () => {
  it.each([
    ['groq', groq, 'https://api.groq.com/openai/v1', [{ $secret: 'GROQ_API_KEY' }]],
    ['together', together, 'https://api.together.ai/v1', [{ $secret: 'TOGETHER_API_KEY' }]],
    ['fireworks', fireworks, 'https://api.fireworks.ai/inference/v1', [{ $secret: 'FIREWORKS_API_KEY' }]],
    ['deepseek', deepseek, 'https://api.deepseek.com', [{ $secret: 'DEEPSEEK_API_KEY' }]],
    ['xai', xai, 'https://api.x.ai/v1', [{ $secret: 'XAI_API_KEY' }]],
    ['mistral', mistral, 'https://api.mistral.ai/v1', [{ $secret: 'MISTRAL_API_KEY' }]],
    ['openrouter', openrouter, 'https://openrouter.ai/api/v1', [{ $secret: 'OPENROUTER_API_KEY' }]],
    ['ollama', ollama, 'http://127.0.0.1:11434/v1', []],
    ['vllm', vllm, 'http://127.0.0.1:8000/v1', []],
    ['lmstudio', lmstudio, 'http://127.0.0.1:1234/v1', []],
  ] as const)('%s() has its id, default base URL %s and default keys', (id, factory, baseURL, keys) => {
    const provider = factory()
    expect(provider).toMatchObject({ id, baseURL, dialect: 'openai.chat', keys })
    expect(provider.descriptor).toEqual({ package: '@modelmesh/providers-openai', factory: id, options: {} })
    expect(provider.capabilities).toContain('generation.text.chat')
  })

  it('keeps options, including secret references, in the descriptor and honours a baseURL override', () => {
    const provider = groq({ keys: [{ $secret: 'GROQ_A' }, { $secret: 'GROQ_B' }], baseURL: 'https://proxy.test/groq/v1/' })
    expect(provider.baseURL).toBe('https://proxy.test/groq/v1')
    expect(provider.keys).toEqual([{ $secret: 'GROQ_A' }, { $secret: 'GROQ_B' }])
    expect(JSON.parse(JSON.stringify(provider.descriptor))).toEqual({
      package: '@modelmesh/providers-openai',
      factory: 'groq',
      options: { keys: [{ $secret: 'GROQ_A' }, { $secret: 'GROQ_B' }], baseURL: 'https://proxy.test/groq/v1/' },
    })
  })

  it('compatible presets send max_tokens and their own providerOptions namespace; OpenAI sends max_completion_tokens', async () => {
    server.reply = json(200, completion('ok'))
    await vllm({ baseURL: `${server.origin}/v1` }).doChat({ ...chat, providerOptions: { vllm: { top_k: 5 }, groq: { ignored: true } } }, context(null))
    await openai({ baseURL: `${server.origin}/v1`, keys: ['k'] }).doChat({ ...chat, providerOptions: { vllm: { top_k: 5 } } }, context())
    const [compatible, official] = server.received.slice(-2).map((r) => JSON.parse(r.body) as Record<string, unknown>)
    expect(compatible).toMatchObject({ max_tokens: 9, top_k: 5 })
    expect(compatible).not.toHaveProperty('ignored')
    expect(official).toMatchObject({ max_completion_tokens: 9 })
    expect(official).not.toHaveProperty('top_k')
  })

  it('mistral streams without stream_options', async () => {
    server.reply = (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: [DONE]\n\n')
    const parts = await mistral({ baseURL: `${server.origin}/v1`, keys: ['k'] }).doStream(chat, context())
    for await (const _ of parts) void _
    expect(JSON.parse(server.received.at(-1)!.body)).not.toHaveProperty('stream_options')
  })

  it('openaiCompatible takes its own id and base URL, and validates them', () => {
    const provider = openaiCompatible({ id: 'my-llm', baseURL: 'https://llm.internal/v1', keys: [{ $secret: 'K' }] })
    expect(provider).toMatchObject({ id: 'my-llm', baseURL: 'https://llm.internal/v1' })
    expect(provider.descriptor.factory).toBe('openaiCompatible')
    expect(() => openaiCompatible({ id: '', baseURL: 'https://x.test' })).toThrow(ConfigError)
    expect(() => openaiCompatible({ id: 'x', baseURL: 'ftp://x.test' })).toThrow(/openaiCompatible\(\)\.baseURL/)
  })
})

describe('azureOpenAI', () => {
  it('builds deployment URLs with the api-version', () => {
    expect(azureURL('https://acme.openai.azure.com/openai', 'chat/completions', 'gpt4o prod', '2024-10-21')).toBe(
      'https://acme.openai.azure.com/openai/deployments/gpt4o%20prod/chat/completions?api-version=2024-10-21',
    )
    const provider = azureOpenAI({ resourceName: 'acme' })
    expect(provider).toMatchObject({ id: 'azure', baseURL: 'https://acme.openai.azure.com/openai', keys: [{ $secret: 'AZURE_OPENAI_API_KEY' }] })
    expect(provider.descriptor).toEqual({ package: '@modelmesh/providers-openai', factory: 'azureOpenAI', options: { resourceName: 'acme' } })
    expect(azureOpenAI({ baseURL: 'https://gw.test/openai/' }).baseURL).toBe('https://gw.test/openai')
  })

  it('calls the mapped deployment with the api-key header', async () => {
    server.reply = json(200, completion('ok'))
    const provider = azureOpenAI({ baseURL: server.origin, apiVersion: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod-4o' }, keys: ['az-key'] })
    await provider.doChat(chat, context('az-key'))
    await provider.doForward({ operation: 'chat/completions', body: { model: 'unmapped', messages: [] }, stream: false }, context('az-key')).then((r) => r.text())
    const [mapped, unmapped] = server.received.slice(-2)
    expect(mapped!.url).toBe('/openai/deployments/prod-4o/chat/completions?api-version=2025-01-01-preview')
    expect(unmapped!.url).toBe('/openai/deployments/unmapped/chat/completions?api-version=2025-01-01-preview')
    expect(mapped!.headers['api-key']).toBe('az-key')
    expect(mapped!.headers.authorization).toBeUndefined()
    expect(await provider.listModels!(context())).toEqual([{ id: 'gpt-4o' }])
  })

  it('needs a resource name or a base URL', () => {
    expect(() => azureOpenAI({})).toThrow(/azureOpenAI\(\)\.resourceName/)
    expect(() => azureOpenAI({ resourceName: 'bad/name' })).toThrow(ConfigError)
  })
})
