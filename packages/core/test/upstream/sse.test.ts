import { describe, expect, it } from 'vitest'
import { parseSSE, type SSEEvent } from '../../src/upstream/sse.js'

async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder()
  for (const part of parts) yield typeof part === 'string' ? encoder.encode(part) : part
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<SSEEvent[]> {
  const events: SSEEvent[] = []
  for await (const event of parseSSE(body)) events.push(event)
  return events
}

describe('parseSSE', () => {
  it('parses data and named events across arbitrary chunk boundaries', async () => {
    const events = await collect(chunks('data: {"a"', ':1}\n\nev', 'ent: ping\ndata: x\n', '\n: keep-alive\n\ndata: [DONE]\n\n'))
    expect(events).toEqual([{ data: '{"a":1}' }, { event: 'ping', data: 'x' }, { data: '[DONE]' }])
  })

  it('joins multi-line data and handles CRLF', async () => {
    expect(await collect(chunks('data: line1\r\ndata: line2\r\n\r\n'))).toEqual([{ data: 'line1\nline2' }])
  })

  it('decodes multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo 👋\n\n')
    const split = [bytes.slice(0, 8), bytes.slice(8, 14), bytes.slice(14)]
    expect(await collect(chunks(...split))).toEqual([{ data: 'héllo 👋' }])
  })

  it('delivers a last event that lacks the final blank line', async () => {
    expect(await collect(chunks('data: one\n\ndata: two'))).toEqual([{ data: 'one' }, { data: 'two' }])
  })

  it('yields events as they arrive, before the body ends', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('data: early\n\n')
      await gate
      yield new TextEncoder().encode('data: late\n\n')
    }
    const iterator = parseSSE(slow())
    expect((await iterator.next()).value).toEqual({ data: 'early' })
    release()
    expect((await iterator.next()).value).toEqual({ data: 'late' })
    expect((await iterator.next()).done).toBe(true)
  })

  it('fails on an event larger than the limit', async () => {
    const run = async () => {
      for await (const _ of parseSSE(chunks('data: ' + 'x'.repeat(100)), { maxEventSize: 10 })) void _
    }
    await expect(run()).rejects.toThrow(/max buffer size/)
  })

  it('ends the body when the reader stops early or an event is too large (releases the connection)', async () => {
    const returned: string[] = []
    const body = (name: string, text: string): AsyncIterable<Uint8Array> => ({
      [Symbol.asyncIterator]: () => {
        const parts = [new TextEncoder().encode(text), new TextEncoder().encode('data: more\n\n')]
        return {
          next: async () => (parts.length ? { value: parts.shift()!, done: false } : { value: undefined, done: true }),
          return: async () => {
            returned.push(name)
            return { value: undefined, done: true }
          },
        }
      },
    })
    for await (const event of parseSSE(body('break', 'data: one\n\n'))) {
      expect(event).toEqual({ data: 'one' })
      break
    }
    const tooLarge = async () => {
      for await (const _ of parseSSE(body('too large', 'data: ' + 'x'.repeat(100)), { maxEventSize: 10 })) void _
    }
    await expect(tooLarge()).rejects.toThrow(/max buffer size/)
    expect(returned).toEqual(['break', 'too large'])
  })
})
