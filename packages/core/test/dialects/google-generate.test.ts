import { describe, expect, it } from 'vitest'
import type { ChatRequest } from '../../src/contracts/chat-request.js'
import {
  canonicalToGoogle, canonicalToGoogleResponse, createGoogleChunkEncoder, googleResponseToCanonical, googleStreamToParts, googleToCanonical,
  googleUsageToCanonical, canonicalUsageToGoogle, toGoogleError,
} from '../../src/dialects/google-generate/index.js'
import { GatewayError } from '../../src/errors/gateway-error.js'

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text)
}
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}
const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`

const conversation: ChatRequest = {
  specificationVersion: 'mesh.chat.v1',
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', url: 'data:image/png;base64,AAA' }, { type: 'file', url: 'gs://b/doc.pdf', mediaType: 'application/pdf' }] },
    { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', providerOptions: { google: { thoughtSignature: 'TS' } } }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: '{"degrees":21}' }, { type: 'tool-result', toolCallId: 'call_1', content: 'boom', isError: true }] },
    { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
  ],
  tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  toolChoice: { type: 'tool', name: 'get_weather' },
  responseFormat: { type: 'json-schema', schema: { type: 'object' } },
  maxOutputTokens: 100, temperature: 0.5, topK: 20, stopSequences: ['X'], seed: 3,
  reasoning: { budgetTokens: 512 },
  providerOptions: { google: { safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }], generationConfig: { candidateCount: 1 } } },
}

describe('google.generate: requests', () => {
  it('canonical → generateContent: systemInstruction, model turns, function calls and named responses, config', () => {
    const body = canonicalToGoogle(conversation) as any
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] })
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/png', data: 'AAA' } }, { fileData: { fileUri: 'gs://b/doc.pdf', mimeType: 'application/pdf' } }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'TS' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { degrees: 21 } } }, { functionResponse: { name: 'get_weather', response: { error: 'boom' } } }, { text: 'Thanks' }] },
    ])
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'get_weather', description: 'Weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] }])
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } })
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 100, temperature: 0.5, topK: 20, stopSequences: ['X'], seed: 3, responseMimeType: 'application/json', responseJsonSchema: { type: 'object' },
      thinkingConfig: { thinkingBudget: 512, includeThoughts: true }, candidateCount: 1,
    })
    expect(body.safetySettings).toHaveLength(1)
    expect(body.model).toBeUndefined()
  })

  it('refuses a tool result whose call is unknown (Gemini needs the function name)', () => {
    const orphan: ChatRequest = { ...conversation, messages: [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'nope', content: 'x' }] }] }
    expect(() => canonicalToGoogle(orphan)).toThrow(GatewayError)
  })

  it('generateContent → canonical and back keeps what the canonical form carries', () => {
    const body = canonicalToGoogle(conversation)
    const back = googleToCanonical(body, 'gemini-2.5-flash')
    expect(back.messages[0]).toEqual(conversation.messages[0])
    expect(back.tools).toEqual([{ type: 'function', name: 'get_weather', description: 'Weather', parameters: conversation.tools![0]!.parameters }])
    expect(back).toMatchObject({ toolChoice: { type: 'tool', name: 'get_weather' }, responseFormat: { type: 'json-schema' }, maxOutputTokens: 100, reasoning: { budgetTokens: 512 } })
    expect(back.providerOptions?.google).toMatchObject({ generationConfig: { candidateCount: 1 }, safetySettings: expect.any(Array) })
    const toolTurn = back.messages.find((m) => m.role === 'tool')!
    const call = back.messages.find((m) => m.role === 'assistant')!.content[0] as { id: string }
    expect((toolTurn.content[0] as { toolCallId: string }).toolCallId).toBe(call.id)
  })
})

describe('google.generate: responses, usage, errors', () => {
  const response = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'plan', thought: true }, { text: 'Calling.' }, { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'TS' }] }, finishReason: 'STOP', index: 0, safetyRatings: [] }],
    usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 12, thoughtsTokenCount: 8, cachedContentTokenCount: 64, totalTokenCount: 120 },
    modelVersion: 'gemini-2.5-flash', responseId: 'r1',
  }

  it('reads a response: thoughts as reasoning, calls with ids and signatures, STOP with calls as tool-calls, usage incl. cached and thoughts', () => {
    const canonical = googleResponseToCanonical(response)
    expect(canonical.content).toEqual([
      { type: 'reasoning', text: 'plan' },
      { type: 'text', text: 'Calling.' },
      { type: 'tool-call', id: 'call_r1_0', name: 'f', arguments: '{"a":1}', providerOptions: { google: { thoughtSignature: 'TS' } } },
    ])
    expect(canonical.finishReason).toEqual({ unified: 'tool-calls', raw: 'STOP' })
    expect(canonical.usage).toMatchObject({ inputTokens: 100, cachedInputTokens: 64, outputTokens: 20, reasoningTokens: 8, totalTokens: 120 })
    expect(canonicalUsageToGoogle(canonical.usage)).toEqual({ promptTokenCount: 100, candidatesTokenCount: 12, cachedContentTokenCount: 64, thoughtsTokenCount: 8, totalTokenCount: 120 })
    expect(canonicalToGoogleResponse(canonical, 'smart')).toMatchObject({ modelVersion: 'smart', candidates: [{ finishReason: 'STOP' }] })
  })

  it('maps safety blocks, with or without candidates, to content-filter', () => {
    expect(googleResponseToCanonical({ candidates: [{ finishReason: 'SAFETY' }] }).finishReason).toEqual({ unified: 'content-filter', raw: 'SAFETY' })
    expect(googleResponseToCanonical({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }).finishReason).toEqual({ unified: 'content-filter', raw: 'PROHIBITED_CONTENT' })
    expect(googleResponseToCanonical({ candidates: [{ finishReason: 'MAX_TOKENS' }] }).finishReason.unified).toBe('length')
    expect(() => googleResponseToCanonical({})).toThrow(TypeError)
  })

  it('keeps unknown usage counts undefined', () => {
    expect(googleUsageToCanonical({ promptTokenCount: 3 })).toEqual({ inputTokens: 3, raw: { promptTokenCount: 3 } })
  })

  it('renders gateway errors as google.rpc statuses', () => {
    expect(toGoogleError(new GatewayError({ status: 429, type: 'rate_limit_error', message: 'slow down' }))).toEqual({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } })
  })
})

describe('google.generate: streams', () => {
  const stream = [
    chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }], usageMetadata: { promptTokenCount: 9 }, responseId: 'r2', modelVersion: 'gemini-2.5-flash' }),
    chunk({ candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] } }], usageMetadata: { promptTokenCount: 9 } }),
    chunk({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, cachedContentTokenCount: 2, totalTokenCount: 13 } }),
  ].join('')

  it('decodes chunks: text deltas, a whole function call as id/name then arguments, the last usage, finish at the end', async () => {
    const parts = await collect(googleStreamToParts(bytes(stream)))
    expect(parts).toEqual([
      { type: 'start', id: 'r2', model: 'gemini-2.5-flash' },
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo' },
      { type: 'tool-call-delta', index: 0, id: 'call_r2_0', name: 'f', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":1}' },
      { type: 'usage', usage: expect.objectContaining({ inputTokens: 9, outputTokens: 4, cachedInputTokens: 2 }) },
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'STOP' } },
    ])
  })

  it('a body that ends without a finish reason, an error chunk or a malformed chunk end with an error part', async () => {
    expect((await collect(googleStreamToParts(bytes(stream.split('\r\n\r\n')[0] + '\r\n\r\n')))).at(-1)).toMatchObject({ type: 'error', code: 'stream_truncated' })
    expect((await collect(googleStreamToParts(bytes(chunk({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }))))).at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
    expect((await collect(googleStreamToParts(bytes('data: {oops\r\n\r\n')))).at(-1)).toMatchObject({ type: 'error', code: 'invalid_stream_event' })
  })

  it('encodes canonical parts as Gemini chunks that decode back to the same answer', async () => {
    const encoder = createGoogleChunkEncoder('smart', 'r3')
    const text = [
      encoder.encode({ type: 'start', id: 'x', model: 'y' }),
      encoder.encode({ type: 'text-delta', delta: 'Hi' }),
      encoder.encode({ type: 'tool-call-delta', index: 0, id: 'c1', name: 'f', argumentsDelta: '{"a"' }),
      encoder.encode({ type: 'tool-call-delta', index: 0, argumentsDelta: ':2}' }),
      encoder.encode({ type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } }),
      encoder.encode({ type: 'finish', finishReason: { unified: 'tool-calls' } }),
    ].join('')
    const parts = await collect(googleStreamToParts(bytes(text)))
    expect(parts.filter((p) => p.type === 'tool-call-delta').map((p) => (p as { argumentsDelta: string }).argumentsDelta).join('')).toBe('{"a":2}')
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: { unified: 'tool-calls', raw: 'STOP' } })
    expect(parts.at(-2)).toMatchObject({ usage: { inputTokens: 5, outputTokens: 2 } })
  })
})
