// The Node listener's SSE writer: the first event alone, then what the relay has at hand in one write.
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { TextStream } from '../../src/engine/stream-relay.js'
import { GATHER_LIMIT, pumpText } from '../../src/http/sse-pump.js'

/** A response that records its writes; `write` answers false (buffer full) while `full` is set. */
class Response extends EventEmitter {
  writes: string[] = []
  ended: string | undefined
  full = false
  write(text: string): boolean {
    this.writes.push(text)
    return !this.full
  }
  end(text?: string): void {
    this.ended = text ?? ''
  }
}

/**
 * A text stream whose texts are either at hand (answered synchronously, as buffered upstream events
 * are) or arrive later (`arrive`), like an upstream that sends the next event after a while.
 */
class Texts implements TextStream {
  readonly first: string | null
  private readonly queue: Array<string | undefined> = []
  private waiting: ((text: string | undefined) => void) | undefined
  pulls = 0
  cancelled = false
  constructor(first: string | null, atHand: Array<string | undefined> = []) {
    this.first = first
    this.queue.push(...atHand)
  }
  arrive(text: string | undefined): void {
    const waiting = this.waiting
    if (waiting) {
      this.waiting = undefined
      waiting(text)
    } else this.queue.push(text)
  }
  pull(onText: (text: string | undefined) => void): void {
    this.pulls++
    if (this.waiting) throw new Error('pulled again before the previous pull was answered')
    if (this.queue.length > 0) return onText(this.queue.shift())
    this.waiting = onText
  }
  next(): Promise<string | undefined> {
    return new Promise((resolve) => this.pull(resolve))
  }
  cancel(): void {
    this.cancelled = true
  }
  toReadableStream(): ReadableStream<Uint8Array> {
    throw new Error('not used')
  }
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('pumpText', () => {
  it('writes the first event alone before reading the burst behind it, then the burst as one write', async () => {
    const response = new Response()
    const texts = new Texts('data: 1\n\n', ['data: 2\n\n', 'data: 3\n\n', 'data: [DONE]\n\n', undefined])
    pumpText(response, texts)
    // Synchronously: only the first event was written, nothing else was read yet.
    expect(response.writes).toEqual(['data: 1\n\n'])
    expect(texts.pulls).toBe(0)
    await tick()
    expect(response.writes).toEqual(['data: 1\n\n'])
    expect(response.ended).toBe('data: 2\n\ndata: 3\n\ndata: [DONE]\n\n')
  })

  it('writes texts that arrive later as they come, gathering what is at hand behind each', async () => {
    const response = new Response()
    const texts = new Texts('data: 1\n\n')
    pumpText(response, texts)
    await tick()
    expect(texts.pulls).toBe(1)
    texts.arrive('data: 2\n\n')
    expect(response.writes).toEqual(['data: 1\n\n', 'data: 2\n\n'])
    // Nothing at hand: one read waits for the upstream.
    expect(texts.pulls).toBe(2)
    texts.arrive('data: 3\n\n')
    texts.arrive('data: 4\n\n')
    expect(response.writes).toEqual(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n', 'data: 4\n\n'])
    texts.arrive(undefined)
    expect(response.ended).toBe('')
  })

  it('writes at most about GATHER_LIMIT characters at a time, and reads on only after a drain when the buffer is full', async () => {
    const response = new Response()
    const event = `data: ${'x'.repeat(1000)}\n\n`
    const count = Math.ceil((3 * GATHER_LIMIT) / event.length)
    const texts = new Texts(null, [...Array.from({ length: count }, () => event), undefined])
    response.full = true
    pumpText(response, texts)
    await tick()
    // The first gathered write filled the buffer: the pump waits for 'drain' before reading more.
    expect(response.writes).toHaveLength(1)
    expect(response.writes[0]!.length).toBeGreaterThanOrEqual(GATHER_LIMIT)
    expect(response.writes[0]!.length).toBeLessThan(GATHER_LIMIT + event.length)
    const pulled = texts.pulls
    await tick()
    expect(texts.pulls).toBe(pulled)
    response.full = false
    response.emit('drain')
    expect(response.writes.length).toBeGreaterThanOrEqual(2)
    expect(response.writes.join('') + response.ended).toBe(event.repeat(count))
  })

  it('waits for a drain when the first event fills the buffer', async () => {
    const response = new Response()
    response.full = true
    const texts = new Texts('data: 1\n\n', ['data: 2\n\n', undefined])
    pumpText(response, texts)
    await tick()
    expect(texts.pulls).toBe(0)
    response.full = false
    response.emit('drain')
    expect(response.ended).toBe('data: 2\n\n')
  })

  it('cancels the stream when the client leaves before the end, and writes nothing more', async () => {
    const response = new Response()
    const texts = new Texts('data: 1\n\n')
    pumpText(response, texts)
    await tick()
    response.emit('close')
    expect(texts.cancelled).toBe(true)
    texts.arrive('data: 2\n\n')
    expect(response.writes).toEqual(['data: 1\n\n'])
  })

  it('does not cancel a stream that ended before the connection closed', async () => {
    const response = new Response()
    const texts = new Texts('data: 1\n\n', [undefined])
    pumpText(response, texts)
    await tick()
    expect(response.ended).toBe('')
    response.emit('close')
    expect(texts.cancelled).toBe(false)
  })
})
