import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeUpstream } from '../src/index.js'

let fake: FakeUpstream
beforeAll(async () => {
  fake = await startFakeOpenAI()
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

async function rawStream(body: Record<string, unknown>): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(`${fake.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, ...body }),
  })
  return { contentType: response.headers.get('content-type'), text: await response.text() }
}

const dataOf = (text: string): string[] =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith('data: '), `event must be a single data line: ${event}`).toBe(true)
      return event.slice('data: '.length)
    })

describe('fake OpenAI upstream: exact SSE wire format', () => {
  it('frames every chunk as `data: {json}\\n\\n` and ends with `data: [DONE]\\n\\n`', async () => {
    fake.script({ reply: 'abcdef', chunkSize: 3 })
    const { contentType, text } = await rawStream({})
    expect(contentType).toContain('text/event-stream')
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
    const events = dataOf(text)
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data) as Record<string, any>)
    expect(chunks.map((chunk) => chunk.choices[0].delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'abc' },
      { content: 'def' },
      {},
    ])
    expect(chunks.map((chunk) => chunk.choices[0].finish_reason)).toEqual([null, null, null, 'stop'])
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-4o-mini', id: chunks[0]?.id })
      expect(chunk.system_fingerprint).toMatch(/^fp_/)
      expect('usage' in chunk, 'no usage key unless include_usage').toBe(false)
    }
  })

  it('with include_usage, every chunk carries usage: null and a last chunk has choices: [] and the usage', async () => {
    fake.script({ reply: 'ab', usage: { prompt_tokens: 5, completion_tokens: 1, cached_tokens: 2 } })
    const events = dataOf((await rawStream({ stream_options: { include_usage: true } })).text)
    expect(events.at(-1)).toBe('[DONE]')
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data) as Record<string, any>)
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: { cached_tokens: 2 } })
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true)
  })

  it('streams tool calls: id/type/name with empty arguments first, then indexed argument fragments', async () => {
    fake.script({
      toolCalls: [
        { id: 'call_a', name: 'first', arguments: '{"x":1}' },
        { id: 'call_b', name: 'second', arguments: '{}' },
      ],
      chunkSize: 4,
    })
    const events = dataOf((await rawStream({})).text)
    const deltas = events.slice(0, -1).map((data) => (JSON.parse(data) as Record<string, any>).choices[0])
    expect(deltas.slice(1, -1).map((choice) => choice.delta)).toEqual([
      { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'first', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"x"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] },
      { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'second', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
    ])
    expect(deltas.at(-1)).toMatchObject({ delta: {}, finish_reason: 'tool_calls' })
  })

  it('usage: null omits usage from JSON answers and the usage chunk from streams', async () => {
    fake.script({ usage: null }, { usage: null })
    const json = await fetch(`${fake.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [] }),
    }).then((response) => response.json() as Promise<Record<string, unknown>>)
    expect('usage' in json).toBe(false)
    const events = dataOf((await rawStream({ stream_options: { include_usage: true } })).text)
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data) as Record<string, any>)
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true)
  })
})

describe('fake OpenAI upstream under concurrent calls', () => {
  it('serves 30 calls at once without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      fake.setDefault({ latencyMs: 50 })
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) }),
        ),
      )
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200))
      await Promise.all(answers.map((a) => a.text()))
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
      fake.setDefault({})
    }
  })
})
