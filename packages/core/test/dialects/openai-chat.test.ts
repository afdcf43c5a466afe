import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import type { ChatRequest } from '../../src/contracts/chat-request.js'
import type { ChatResponse } from '../../src/contracts/chat-response.js'
import { GatewayError } from '../../src/errors/gateway-error.js'
import {
  canonicalToOpenAI,
  canonicalToOpenAIResponse,
  openAIChatRequestSchema,
  openAIResponseToCanonical,
  openAIToCanonical,
  toOpenAIError,
} from '../../src/dialects/openai-chat/index.js'

const validate = new Ajv({ allErrors: false, strict: false }).compile(openAIChatRequestSchema)

const fullBody = {
  model: 'smart',
  messages: [
    { role: 'developer', content: 'Be brief.' },
    {
      role: 'user',
      name: 'ann',
      content: [
        { type: 'text', text: 'Look', cache_control: { type: 'ephemeral' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://x.test/cat.jpg' } },
        { type: 'input_audio', input_audio: { data: 'UklGR', format: 'mp3' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' } },
      ],
    },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
  tool_choice: { type: 'function', function: { name: 'get_weather' } },
  response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
  temperature: 0.2,
  top_p: 0.9,
  stop: 'END',
  max_tokens: 100,
  seed: 7,
  presence_penalty: 0.1,
  frequency_penalty: -0.1,
  user: 'u-1',
  parallel_tool_calls: false,
  reasoning_effort: 'low',
  stream: true,
  stream_options: { include_usage: true },
  models: ['fallback-model'],
  route: 'fallback',
  logprobs: true,
  n: 1,
  metadata: { team: 'a' },
  top_k: 40,
  some_future_field: { nested: [1, 2] },
}

describe('openAIChatRequestSchema', () => {
  it('accepts a full request, including unknown top-level fields', () => {
    expect(validate(fullBody)).toBe(true)
  })

  it.each([
    ['a missing model', { messages: [{ role: 'user', content: 'hi' }] }],
    ['missing messages', { model: 'm' }],
    ['temperature above 2', { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 3 }],
    ['a tool message without tool_call_id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }],
    ['an unknown content part type', { model: 'm', messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }],
    ['a non-boolean stream', { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: 'yes' }],
    ['stop as a number', { model: 'm', messages: [{ role: 'user', content: 'hi' }], stop: 5 }],
    ['route other than fallback', { model: 'm', messages: [{ role: 'user', content: 'hi' }], route: 'random' }],
    ['a function tool without a name', { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: {} }] }],
  ])('rejects %s', (_name, body) => {
    expect(validate(body)).toBe(false)
  })

  it('reports the precise problem first (what the ingress turns into its 400 message)', () => {
    validate({ model: 'm', messages: [{ role: 'user', content: 'hi' }, { role: 'tool', content: 'x' }] })
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/messages/1', keyword: 'required', params: { missingProperty: 'tool_call_id' } })
    validate({ model: 'm', messages: [{ role: 'user', content: [{ type: 'video' }] }] })
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/messages/0/content/0/type', keyword: 'enum' })
  })
})

describe('openAIToCanonical', () => {
  const canonical = openAIToCanonical(fullBody, 'gpt-4o-mini')

  it('maps messages to canonical roles and parts', () => {
    expect(canonical.model).toBe('gpt-4o-mini')
    expect(canonical.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      {
        role: 'user',
        name: 'ann',
        content: [
          { type: 'text', text: 'Look', cacheControl: { type: 'ephemeral' } },
          { type: 'image', data: 'iVBOR', mediaType: 'image/png', detail: 'low' },
          { type: 'image', url: 'https://x.test/cat.jpg' },
          { type: 'audio', data: 'UklGR', mediaType: 'audio/mpeg' },
          { type: 'file', data: 'JVBER', mediaType: 'application/pdf', filename: 'a.pdf' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: '{"temp":21}' }] },
    ])
  })

  it('maps tools, choices and sampling fields', () => {
    expect(canonical.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
    ])
    expect(canonical.toolChoice).toEqual({ type: 'tool', name: 'get_weather' })
    expect(canonical.responseFormat).toEqual({ type: 'json-schema', name: 'answer', schema: { type: 'object' }, strict: true })
    expect(canonical).toMatchObject({
      temperature: 0.2, topP: 0.9, stopSequences: ['END'], maxOutputTokens: 100, seed: 7, presencePenalty: 0.1,
      frequencyPenalty: -0.1, user: 'u-1', parallelToolCalls: false, reasoning: { effort: 'low' },
    })
  })

  it('keeps unknown and OpenAI-only fields in providerOptions.openai, never gateway or stream fields', () => {
    expect(canonical.providerOptions).toEqual({ openai: { logprobs: true, n: 1, metadata: { team: 'a' }, top_k: 40, some_future_field: { nested: [1, 2] } } })
  })

  it('prefers max_completion_tokens and keeps unknown reasoning efforts and tool kinds as OpenAI options', () => {
    const tools = [{ type: 'custom', custom: { name: 'grammar' } }, { type: 'function', function: { name: 'f' } }]
    const request = openAIToCanonical(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, max_completion_tokens: 20, reasoning_effort: 'xhigh', tools, tool_choice: { type: 'allowed_tools' } },
      'm',
    )
    expect(request.maxOutputTokens).toBe(20)
    expect(request.reasoning).toBeUndefined()
    expect(request.tools).toEqual([{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }])
    expect(request.providerOptions?.openai).toEqual({ reasoning_effort: 'xhigh', tools, tool_choice: { type: 'allowed_tools' } })
  })
})

describe('canonicalToOpenAI', () => {
  it('round-trips an OpenAI body through the canonical form', () => {
    const body = canonicalToOpenAI(openAIToCanonical(fullBody, 'gpt-4o-mini'))
    expect(body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://x.test/cat.jpg' } },
            { type: 'input_audio', input_audio: { data: 'UklGR', format: 'mp3' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' } },
          ],
        },
        fullBody.messages[2],
        fullBody.messages[3],
      ],
      tools: fullBody.tools,
      tool_choice: fullBody.tool_choice,
      response_format: fullBody.response_format,
      temperature: 0.2, top_p: 0.9, stop: ['END'], max_completion_tokens: 100, seed: 7, presence_penalty: 0.1,
      frequency_penalty: -0.1, user: 'u-1', parallel_tool_calls: false, reasoning_effort: 'low',
      logprobs: true, n: 1, metadata: { team: 'a' }, top_k: 40, some_future_field: { nested: [1, 2] },
    })
  })

  it('renders canonical-only shapes the OpenAI way', () => {
    const request: ChatRequest = {
      specificationVersion: 'mesh.chat.v1',
      model: 'llama',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: [{ type: 'image', data: 'AAA', mediaType: 'image/jpeg' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm' }, { type: 'text', text: 'Hi' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 't1', content: [{ type: 'text', text: 'ok' }, { type: 'image', url: 'https://i.test/p.png' }] }] },
      ],
      toolChoice: { type: 'required' },
      responseFormat: { type: 'json' },
      maxOutputTokens: 5,
      providerOptions: { openai: { top_k: 3 }, groq: { service_tier: 'flex' }, anthropic: { thinking: {} } },
    }
    expect(canonicalToOpenAI(request, { maxTokensField: 'max_tokens', providerOptionsKeys: ['openai', 'groq'] })).toEqual({
      model: 'llama',
      messages: [
        { role: 'system', content: 'a\n\nb' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAA' } }] },
        { role: 'assistant', content: 'Hi' },
        { role: 'tool', tool_call_id: 't1', content: 'ok' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://i.test/p.png' } }] },
      ],
      tool_choice: 'required',
      response_format: { type: 'json_object' },
      max_tokens: 5,
      top_k: 3,
      service_tier: 'flex',
    })
  })

  it('refuses a document given only by URL, with a 400 the client can act on', () => {
    const request: ChatRequest = {
      specificationVersion: 'mesh.chat.v1',
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'file', url: 'https://x.test/a.pdf', mediaType: 'application/pdf' }] }],
    }
    const error = (() => {
      try {
        canonicalToOpenAI(request)
      } catch (e) {
        return e
      }
    })()
    expect(GatewayError.isInstance(error) && error.status).toBe(400)
  })
})

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_1',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello', refusal: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 1200, completion_tokens: 30, total_tokens: 1230, prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 12 } },
}

describe('responses', () => {
  it('maps a chat.completion to canonical, usage and cached tokens included', () => {
    const response = openAIResponseToCanonical(completion)
    expect(response).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024-07-18',
      created: 1_700_000_000,
      content: [{ type: 'text', text: 'Hello' }, { type: 'tool-call', id: 'call_9', name: 'f', arguments: '{}' }],
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      usage: { inputTokens: 1200, outputTokens: 30, totalTokens: 1230, cachedInputTokens: 1024, reasoningTokens: 12, raw: completion.usage },
      providerMetadata: { openai: { system_fingerprint: 'fp_1' } },
    })
  })

  it('leaves unreported counts undefined, never 0, and reads reasoning_content and DeepSeek cache hits', () => {
    const response = openAIResponseToCanonical({
      id: 'x', model: 'deepseek-reasoner', choices: [{ index: 0, message: { content: 'A', reasoning_content: 'think' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 10, prompt_cache_hit_tokens: 4 },
    })
    expect(response.usage).toEqual({ inputTokens: 10, cachedInputTokens: 4, raw: { prompt_tokens: 10, prompt_cache_hit_tokens: 4 } })
    expect(response.content[0]).toEqual({ type: 'reasoning', text: 'think' })
    expect(response.finishReason).toEqual({ unified: 'length', raw: 'length' })
    expect(openAIResponseToCanonical({ id: 'y', model: 'm', choices: [{ index: 0, message: { content: 'x' }, finish_reason: 'stop' }] }).usage).toEqual({})
  })

  it.each([
    ['stop', 'stop'], ['length', 'length'], ['tool_calls', 'tool-calls'], ['function_call', 'tool-calls'], ['content_filter', 'content-filter'], ['eos', 'other'],
  ])('maps finish_reason %s to %s', (raw, unified) => {
    const response = openAIResponseToCanonical({ id: 'x', model: 'm', choices: [{ index: 0, message: { content: '' }, finish_reason: raw }] })
    expect(response.finishReason).toEqual({ unified, raw })
  })

  it('renders a canonical response as chat.completion under the public model', () => {
    const canonical: ChatResponse = {
      id: 'msg_1',
      model: 'claude-x',
      content: [{ type: 'reasoning', text: 'r' }, { type: 'text', text: 'Hi ' }, { type: 'text', text: 'there' }],
      finishReason: { unified: 'content-filter', raw: 'refusal' },
      usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 3, reasoningTokens: 1 },
    }
    expect(canonicalToOpenAIResponse(canonical, 'smart', { id: 'chatcmpl-gw', created: 42, usageExtras: { cost: 0.001 } })).toEqual({
      id: 'chatcmpl-gw',
      object: 'chat.completion',
      created: 42,
      model: 'smart',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there', reasoning_content: 'r', refusal: null }, logprobs: null, finish_reason: 'content_filter' }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 1 }, cost: 0.001 },
    })
  })

  it('round-trips a completion with tool calls', () => {
    const back = canonicalToOpenAIResponse(openAIResponseToCanonical(completion), 'public')
    expect(back.choices).toEqual([{ ...completion.choices[0], message: { ...completion.choices[0]!.message } }])
    expect(back.usage).toEqual({ prompt_tokens: 1200, completion_tokens: 30, total_tokens: 1230, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 12 } })
    expect(back.system_fingerprint).toBe('fp_1')
  })

  it('rejects an upstream answer without choices', () => {
    expect(() => openAIResponseToCanonical({ error: 'nope' })).toThrow(/no choices/)
  })
})

describe('toOpenAIError', () => {
  it('renders a GatewayError with its details inside error', () => {
    const error = new GatewayError({
      status: 429, type: 'rate_limit_error', message: 'Slow down', code: 'rate_limit_exceeded', details: { attempts: [{ deployment: 'a' }], message: 'cannot override' },
    })
    expect(toOpenAIError(error)).toEqual({ error: { message: 'Slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded', attempts: [{ deployment: 'a' }] } })
    expect(toOpenAIError(GatewayError.invalidRequest('bad', 'messages'))).toEqual({ error: { message: 'bad', type: 'invalid_request_error', param: 'messages', code: null } })
  })
})
