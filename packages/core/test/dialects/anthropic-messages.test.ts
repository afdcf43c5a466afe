import { describe, expect, it } from 'vitest'
import type { ChatRequest } from '../../src/contracts/chat-request.js'
import {
  anthropicResponseToCanonical, anthropicToCanonical, anthropicUsageToCanonical, canonicalToAnthropic, canonicalToAnthropicResponse,
  canonicalUsageToAnthropic, parseAnthropicMessagesRequest, toAnthropicError,
} from '../../src/dialects/anthropic-messages/index.js'
import { GatewayError } from '../../src/errors/gateway-error.js'

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ specificationVersion: 'mesh.chat.v1', model: 'claude-x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], ...extra })

describe('anthropic.messages: request → canonical', () => {
  const body = {
    model: 'smart',
    max_tokens: 300,
    system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }, { type: 'document', title: 'spec.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21°C', is_error: false }, { type: 'text', text: 'And tomorrow?' }] },
    ],
    tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search' }],
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
    temperature: 0.2, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-1' },
    thinking: { type: 'enabled', budget_tokens: 2048 },
    output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    service_tier: 'auto', stream: true, models: ['smart', 'backup'],
  }

  it('maps system, every block kind, tools, sampling, thinking and output format', () => {
    const canonical = anthropicToCanonical(body, 'claude-sonnet-4-5')
    expect(canonical.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'You are terse.', cacheControl: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', data: 'AAA', mediaType: 'image/png' }, { type: 'file', data: 'JVBER', mediaType: 'application/pdf', filename: 'spec.pdf' }] },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm', signature: 'sig' }, { type: 'text', text: 'Checking.' }, { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', content: '21°C' }] },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
    ])
    expect(canonical).toMatchObject({
      model: 'claude-sonnet-4-5', maxOutputTokens: 300, toolChoice: { type: 'required' }, parallelToolCalls: false,
      temperature: 0.2, topK: 40, stopSequences: ['END'], user: 'u-1', reasoning: { budgetTokens: 2048 },
      responseFormat: { type: 'json-schema', schema: { type: 'object' } },
    })
    expect(canonical.tools).toEqual([{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }])
    // What has no canonical word stays in the Anthropic namespace; gateway fields never do.
    expect(canonical.providerOptions?.anthropic).toEqual({ tools: body.tools, service_tier: 'auto' })
  })

  it('refuses blocks only Anthropic understands, naming them', () => {
    const odd = { ...body, messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x' }] }] }
    expect(() => anthropicToCanonical(odd, 'm')).toThrow(/search_result/)
  })

  it('parses and validates ingress bodies with Anthropic-style messages', () => {
    expect(parseAnthropicMessagesRequest(JSON.stringify(body))).toMatchObject({ models: ['smart', 'backup'], stream: true })
    expect(() => parseAnthropicMessagesRequest('{"model":"m","messages":[{"role":"user","content":"x"}]}')).toThrow('max_tokens: Field required')
    expect(() => parseAnthropicMessagesRequest('{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":"x"}]}]}')).toThrow(/source/)
    // Unknown block types pass validation: a forward to Anthropic must carry them.
    expect(() => parseAnthropicMessagesRequest('{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]}')).not.toThrow()
  })
})

describe('anthropic.messages: canonical → request', () => {
  it('defaults max_tokens, merges turns, puts tool results first in the user turn and keeps cache markers', () => {
    const body = canonicalToAnthropic(request({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
        { role: 'user', content: [{ type: 'text', text: 'q', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'unsigned thought' }, { type: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: 'done', isError: true }] },
        { role: 'user', content: [{ type: 'image', url: 'data:image/jpeg;base64,QQ==' }, { type: 'image', url: 'https://x/y.png' }] },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      parallelToolCalls: false,
      user: 'u',
      reasoning: { effort: 'minimal' },
    }))
    expect(body.max_tokens).toBe(4096)
    expect(body.system).toBe('A\n\nB')
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: 'done', is_error: true },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'QQ==' } },
        { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
      ] },
    ])
    expect(body.tools).toEqual([{ name: 'f', input_schema: { type: 'object' } }])
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true })
    expect(body.metadata).toEqual({ user_id: 'u' })
    expect(body.output_config).toEqual({ effort: 'low' })
    expect(canonicalToAnthropic(request({ maxOutputTokens: 10 }), { defaultMaxTokens: 99 }).max_tokens).toBe(10)
    expect(canonicalToAnthropic(request(), { defaultMaxTokens: 99 }).max_tokens).toBe(99)
  })

  it('maps JSON schema output and thinking budgets, and refuses what Anthropic cannot take', () => {
    expect(canonicalToAnthropic(request({ responseFormat: { type: 'json-schema', schema: { type: 'object' } }, reasoning: { budgetTokens: 1024 } }))).toMatchObject({
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      thinking: { type: 'enabled', budget_tokens: 1024 },
    })
    expect(() => canonicalToAnthropic(request({ responseFormat: { type: 'json' } }))).toThrow(/json_schema/)
    expect(() => canonicalToAnthropic(request({ messages: [{ role: 'user', content: [{ type: 'audio', data: 'x', mediaType: 'audio/wav' }] }] }))).toThrow(/audio/)
    expect(() => canonicalToAnthropic(request({ messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{oops' }] }] }))).toThrow(/not valid JSON/)
  })
})

describe('anthropic.messages: responses, usage and errors', () => {
  const message = {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_sequence: null, stop_reason: 'tool_use',
    content: [{ type: 'thinking', thinking: 'plan', signature: 'sig' }, { type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'toolu_9', name: 'f', input: { x: 1 } }, { type: 'server_tool_use', id: 's', name: 'web_search', input: {} }],
    usage: { input_tokens: 10, cache_read_input_tokens: 60, cache_creation_input_tokens: 30, output_tokens: 7, output_tokens_details: { thinking_tokens: 3 } },
  }

  it('reads a message: content, finish reason, usage with cache reads and writes, other blocks as metadata', () => {
    const response = anthropicResponseToCanonical(message)
    expect(response.content).toEqual([{ type: 'reasoning', text: 'plan', signature: 'sig' }, { type: 'text', text: 'Sure.' }, { type: 'tool-call', id: 'toolu_9', name: 'f', arguments: '{"x":1}' }])
    expect(response.finishReason).toEqual({ unified: 'tool-calls', raw: 'tool_use' })
    expect(response.usage).toMatchObject({ inputTokens: 100, cachedInputTokens: 60, cacheWriteTokens: 30, outputTokens: 7, reasoningTokens: 3, totalTokens: 107 })
    expect(response.providerMetadata?.anthropic?.blocks).toHaveLength(1)
    expect(() => anthropicResponseToCanonical({ nope: true })).toThrow(TypeError)
  })

  it('writes a message for Anthropic clients under the public model name', () => {
    const json = canonicalToAnthropicResponse(anthropicResponseToCanonical(message), 'smart') as Record<string, unknown>
    expect(json).toMatchObject({ id: 'msg_1', type: 'message', role: 'assistant', model: 'smart', stop_reason: 'tool_use', stop_sequence: null })
    expect(json.content).toEqual([{ type: 'thinking', thinking: 'plan', signature: 'sig' }, { type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'toolu_9', name: 'f', input: { x: 1 } }])
    expect(json.usage).toEqual({ input_tokens: 10, cache_read_input_tokens: 60, cache_creation_input_tokens: 30, output_tokens: 7, output_tokens_details: { thinking_tokens: 3 } })
  })

  it('round-trips usage and leaves unknown counts out, never 0', () => {
    expect(canonicalUsageToAnthropic(anthropicUsageToCanonical(message.usage))).toEqual(message.usage)
    expect(canonicalUsageToAnthropic({ outputTokens: 4 })).toEqual({ output_tokens: 4 })
    expect(anthropicUsageToCanonical({ output_tokens: 2 })).toEqual({ outputTokens: 2, raw: { output_tokens: 2 } })
  })

  it('renders gateway errors in Anthropic’s shape and vocabulary', () => {
    expect(toAnthropicError(GatewayError.invalidRequest('bad', 'messages', 'invalid_value'))).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'bad', code: 'invalid_value', param: 'messages' } })
    const type = (status: number, t: GatewayError['type']) => toAnthropicError(new GatewayError({ status, type: t, message: 'm' })).error.type
    expect(type(413, 'invalid_request_error')).toBe('request_too_large')
    expect(type(402, 'insufficient_quota')).toBe('billing_error')
    expect(type(502, 'upstream_error')).toBe('api_error')
    expect(type(529, 'api_error')).toBe('overloaded_error')
    expect(type(504, 'timeout_error')).toBe('timeout_error')
  })
})
