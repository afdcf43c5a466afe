import { describe, expect, it } from 'vitest'
import type { StreamPart } from '../../src/contracts/stream-part.js'
import { anthropicEventsToParts, anthropicStreamToParts, createAnthropicEventEncoder } from '../../src/dialects/anthropic-messages/index.js'
import { parseSSE } from '../../src/upstream/sse.js'

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text)
}
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}
const ev = (type: string, payload: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`

const STREAM = [
  ev('message_start', { message: { id: 'msg_1', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, cache_read_input_tokens: 40, cache_creation_input_tokens: 0, output_tokens: 1 } } }),
  ev('ping'),
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me see.' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'SIG' } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Hi ' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'there' } }),
  ev('content_block_stop', { index: 1 }),
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } }),
  ev('content_block_stop', { index: 2 }),
  ev('content_block_start', { index: 3, content_block: { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} } }),
  ev('content_block_stop', { index: 3 }),
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 25, input_tokens: 10, cache_read_input_tokens: 40, cache_creation_input_tokens: null } }),
  ev('message_stop'),
].join('')

describe('anthropic.messages stream → canonical parts', () => {
  it('decodes the whole event sequence: thinking with signature, text, tool calls numbered in order, usage and finish at the end', async () => {
    const parts = await collect(anthropicStreamToParts(bytes(STREAM)))
    expect(parts).toEqual([
      { type: 'start', id: 'msg_1', model: 'claude-sonnet-4-5' },
      { type: 'reasoning-delta', delta: 'Let me see.' },
      { type: 'reasoning-delta', delta: '', signature: 'SIG' },
      { type: 'text-delta', delta: 'Hi ' },
      { type: 'text-delta', delta: 'there' },
      { type: 'tool-call-delta', index: 0, id: 'toolu_1', name: 'f', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-delta', index: 1, id: 'toolu_2', name: 'g', argumentsDelta: '' },
      // A tool called without arguments streams none; canonically it is `{}`.
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      { type: 'usage', usage: expect.objectContaining({ inputTokens: 50, cachedInputTokens: 40, outputTokens: 25 }) },
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_use' } },
    ])
  })

  it('ends with an error part on an error event, a malformed event, or a body cut before message_stop', async () => {
    const error = await collect(anthropicStreamToParts(bytes(STREAM.slice(0, 400) + ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }))))
    expect(error.at(-1)).toMatchObject({ type: 'error', message: 'Overloaded', code: 'overloaded_error' })
    const malformed = await collect(anthropicStreamToParts(bytes(ev('message_start', { message: { id: 'm', model: 'x' } }) + 'event: content_block_delta\ndata: {nope\n\n')))
    expect(malformed.at(-1)).toMatchObject({ type: 'error', code: 'invalid_stream_event' })
    const cut = await collect(anthropicStreamToParts(bytes(STREAM.split('event: message_delta')[0]!)))
    expect(cut.at(-2)?.type).toBe('usage')
    expect(cut.at(-1)).toMatchObject({ type: 'error', code: 'stream_truncated' })
  })

  it('keeps cumulative usage across message_delta events (absent or null fields keep the earlier value)', () => {
    const decoder = anthropicEventsToParts()
    decoder.push({ type: 'message_start', message: { id: 'm', model: 'x', usage: { input_tokens: 5, cache_read_input_tokens: 3, output_tokens: 1 } } })
    decoder.push({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9, cache_read_input_tokens: null } })
    const parts = decoder.push({ type: 'message_stop' })
    expect(parts[0]).toMatchObject({ type: 'usage', usage: { inputTokens: 8, cachedInputTokens: 3, outputTokens: 9 } })
  })
})

describe('canonical parts → Anthropic events', () => {
  const render = (parts: StreamPart[]) => {
    const encoder = createAnthropicEventEncoder('smart', 'msg_x')
    return parts.map((p) => encoder.encode(p)).join('')
  }

  it('renders named events in Anthropic’s order, with block indices and the cumulative usage in message_delta', async () => {
    const text = render([
      { type: 'start', id: 'up', model: 'gpt' },
      { type: 'text-delta', delta: 'Hi' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'f', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":1}' },
      { type: 'tool-call-delta', index: 1, id: 'call_2', name: 'g', argumentsDelta: '{}' },
      { type: 'usage', usage: { inputTokens: 100, cachedInputTokens: 40, outputTokens: 12 } },
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
    ])
    const events = await collect(parseSSE(bytes(text)))
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta',
      'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ])
    const data = events.map((e) => JSON.parse(e.data))
    expect(data.every((d, i) => d.type === events[i]!.event)).toBe(true)
    expect(data[0].message).toMatchObject({ id: 'msg_x', model: 'smart', role: 'assistant', content: [] })
    expect(data[4]).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} } })
    expect(data[8]).toEqual({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } })
    expect(data[10]).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 60, cache_read_input_tokens: 40, output_tokens: 12 } })
  })

  it('renders an error part as `event: error` and writes nothing after it', () => {
    const encoder = createAnthropicEventEncoder('smart', 'msg_x')
    encoder.encode({ type: 'start', id: 'a', model: 'b' })
    expect(encoder.encode({ type: 'error', message: 'upstream broke' })).toBe('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"upstream broke"}}\n\n')
    expect(encoder.done).toBe(true)
    expect(encoder.encode({ type: 'text-delta', delta: 'late' })).toBe('')
  })

  it('decoding what it encoded gives the same parts back', async () => {
    const parts: StreamPart[] = [
      { type: 'start', id: 'msg_x', model: 'smart' },
      { type: 'reasoning-delta', delta: 'think' },
      { type: 'text-delta', delta: 'answer' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 3 } },
      { type: 'finish', finishReason: { unified: 'length', raw: 'max_tokens' } },
    ]
    const back = await collect(anthropicStreamToParts(bytes(render(parts))))
    expect(back.map((p) => p.type)).toEqual(parts.map((p) => p.type))
    expect(back.at(-2)).toMatchObject({ usage: { inputTokens: 10, outputTokens: 3 } })
    expect(back.at(-1)).toEqual({ type: 'finish', finishReason: { unified: 'length', raw: 'max_tokens' } })
  })
})
