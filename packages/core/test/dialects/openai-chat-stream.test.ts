import { describe, expect, it } from 'vitest'
import type { StreamPart } from '../../src/contracts/stream-part.js'
import { createOpenAIChunkEncoder, openAIChunksToParts, openAIStreamToParts } from '../../src/dialects/openai-chat/index.js'
import { parseSSE } from '../../src/upstream/sse.js'

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini' }
const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] })

async function* sse(...events: unknown[]): AsyncGenerator<Uint8Array> {
  for (const event of events) yield new TextEncoder().encode(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`)
}

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text)
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** What a client would rebuild from the tool-call deltas. */
function assembleToolCalls(parts: StreamPart[]) {
  const calls: Array<{ id?: string; name?: string; arguments: string }> = []
  for (const part of parts) {
    if (part.type !== 'tool-call-delta') continue
    const call = (calls[part.index] ??= { arguments: '' })
    if (part.id) call.id = part.id
    if (part.name) call.name = part.name
    call.arguments += part.argumentsDelta
  }
  return calls
}

describe('openAIChunksToParts', () => {
  it('decodes text, reasoning, usage and holds the finish until the end', () => {
    const decoder = openAIChunksToParts()
    const parts = [
      ...decoder.push(delta({ role: 'assistant', content: '' })),
      ...decoder.push(delta({ reasoning_content: 'thinking' })),
      ...decoder.push(delta({ reasoning: ' more' })),
      ...decoder.push(delta({ content: 'Hel' })),
      ...decoder.push(delta({ content: 'lo' })),
      ...decoder.push(delta({}, 'stop')),
      ...decoder.push({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0 } } }),
      ...decoder.end('done'),
    ]
    expect(parts).toEqual([
      { type: 'start', id: 'chatcmpl-1', model: 'gpt-4o-mini', created: 1_700_000_000 },
      { type: 'reasoning-delta', delta: 'thinking' },
      { type: 'reasoning-delta', delta: ' more' },
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11, cachedInputTokens: 0, raw: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0 } } } },
      { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' } },
    ])
    expect(decoder.finished).toBe(true)
    expect(decoder.push(delta({ content: 'late' }))).toEqual([])
  })

  it('passes tool-call deltas through so they assemble into whole calls', () => {
    const decoder = openAIChunksToParts()
    const parts = [
      delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
      delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      delta({}, 'tool_calls'),
    ].flatMap((c) => decoder.push(c))
    parts.push(...decoder.end('eof'))
    expect(assembleToolCalls(parts)).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'get_time', arguments: '{}' },
    ])
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' } })
  })

  it('skips the Azure content-filter preamble, reads Groq usage and keeps the last usage reported', () => {
    const decoder = openAIChunksToParts()
    expect(decoder.push({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] })).toEqual([])
    decoder.push(delta({ content: 'x' }))
    decoder.push({ ...delta({}, 'stop'), x_groq: { usage: { prompt_tokens: 1, completion_tokens: 1 } } })
    decoder.push({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })
    const tail = decoder.end('done')
    expect(tail[0]).toMatchObject({ type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } })
  })

  it('reports a stream cut before its finish as an error, keeping the partial usage', () => {
    const decoder = openAIChunksToParts()
    decoder.push({ ...delta({ content: 'partial' }), usage: { prompt_tokens: 5, completion_tokens: 1 } })
    expect(decoder.end('eof')).toEqual([
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 1, raw: { prompt_tokens: 5, completion_tokens: 1 } } },
      { type: 'error', message: 'The upstream stream ended before it finished', code: 'stream_truncated' },
    ])
  })

  it('turns an in-band upstream error into an error part and stops', () => {
    const decoder = openAIChunksToParts()
    decoder.push(delta({ content: 'a' }))
    const [part] = decoder.push({ error: { message: 'overloaded', type: 'server_error', code: 'overloaded' } })
    expect(part).toMatchObject({ type: 'error', message: 'overloaded', code: 'overloaded' })
    expect(decoder.end('eof')).toEqual([])
  })
})

describe('openAIStreamToParts', () => {
  it('decodes an SSE body and stops at [DONE]', async () => {
    const parts = await collect(openAIStreamToParts(sse(delta({ role: 'assistant', content: 'Hi' }), delta({}, 'length'), '[DONE]', delta({ content: 'ignored' }))))
    expect(parts.map((p) => p.type)).toEqual(['start', 'text-delta', 'finish'])
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: { unified: 'length', raw: 'length' } })
  })

  it('ends with an error part on an event that is not JSON', async () => {
    const parts = await collect(openAIStreamToParts(sse(delta({ content: 'Hi' }), '{not json')))
    expect(parts.at(-1)).toMatchObject({ type: 'error', code: 'invalid_stream_event' })
  })
})

describe('createOpenAIChunkEncoder', () => {
  const decodeEvents = async (text: string) => (await collect(parseSSE(bytes(text)))).map((e) => e.data)

  it('renders the stream OpenAI clients expect, usage chunk included when asked', async () => {
    const encoder = createOpenAIChunkEncoder('smart', 'chatcmpl-gw', 42, { includeUsage: true, usageExtras: () => ({ cost: 0.5 }) })
    const parts: StreamPart[] = [
      { type: 'start', id: 'up', model: 'upstream-model' },
      { type: 'reasoning-delta', delta: 'r' },
      { type: 'text-delta', delta: 'Hi' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'f', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
      { type: 'finish', finishReason: { unified: 'tool-calls' } },
    ]
    const text = parts.map((p) => encoder.encode(p)).join('')
    const events = await decodeEvents(text)
    expect(events.at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, unknown>)
    const head = { id: 'chatcmpl-gw', object: 'chat.completion.chunk', created: 42, model: 'smart' }
    const choice = (d: unknown, finish: string | null = null) => ({ ...head, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] })
    expect(chunks).toEqual([
      choice({ role: 'assistant', content: '' }),
      choice({ reasoning_content: 'r' }),
      choice({ content: 'Hi' }),
      choice({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      choice({}, 'tool_calls'),
      { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, cost: 0.5 } },
    ])
    expect(encoder.done).toBe(true)
    expect(encoder.encode({ type: 'text-delta', delta: 'late' })).toBe('')
  })

  it('omits the usage chunk unless asked, and opens with the role even without a start part', async () => {
    const encoder = createOpenAIChunkEncoder('m', 'id', 1)
    const text = encoder.encode({ type: 'text-delta', delta: 'x' }) + encoder.encode({ type: 'usage', usage: { inputTokens: 1 } }) + encoder.encode({ type: 'finish', finishReason: { unified: 'stop' } })
    const events = await decodeEvents(text)
    expect(events).toHaveLength(4)
    expect(JSON.parse(events[0]!).choices[0].delta).toEqual({ role: 'assistant', content: '' })
    expect(JSON.parse(events[2]!).choices[0].finish_reason).toBe('stop')
    expect(events[3]).toBe('[DONE]')
  })

  it('renders an in-band error in OpenAI error shape, then [DONE]', () => {
    const encoder = createOpenAIChunkEncoder('m', 'id', 1)
    encoder.encode({ type: 'text-delta', delta: 'x' })
    expect(encoder.encode({ type: 'error', message: 'upstream broke', code: 'stream_truncated' })).toBe(
      'data: {"error":{"message":"upstream broke","type":"upstream_error","param":null,"code":"stream_truncated"}}\n\ndata: [DONE]\n\n',
    )
  })

  it('survives a decode → encode → decode round trip', async () => {
    const upstream = [delta({ role: 'assistant', content: 'A' }), delta({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }), delta({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }), delta({}, 'tool_calls'), '[DONE]']
    const first = await collect(openAIStreamToParts(sse(...upstream)))
    const encoder = createOpenAIChunkEncoder('m', 'id', 1)
    const text = first.map((p) => encoder.encode(p)).join('')
    const second = await collect(openAIStreamToParts(bytes(text)))
    expect(second.filter((p) => p.type !== 'start')).toEqual(first.filter((p) => p.type !== 'start'))
  })
})
