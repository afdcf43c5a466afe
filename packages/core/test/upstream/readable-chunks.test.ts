import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ReadableChunks } from '../../src/upstream/readable-chunks.js'

const bytes = (text: string) => Buffer.from(text)
const mapped = (error: unknown) => new Error(`mapped: ${(error as Error).message}`)

describe('ReadableChunks', () => {
  it('yields the chunks in order, waiting for those not yet written, then ends', async () => {
    const raw = new PassThrough()
    const chunks = new ReadableChunks(raw, mapped)
    raw.write(bytes('one'))
    expect(String((await chunks.next()).value)).toBe('one')
    const pending = chunks.next()
    raw.write(bytes('two'))
    expect(String((await pending).value)).toBe('two')
    raw.end()
    expect((await chunks.next()).done).toBe(true)
    expect((await chunks.next()).done).toBe(true)
  })

  it('reads nothing before the first next(), and pauses the stream while nobody waits', async () => {
    const raw = new PassThrough()
    const chunks = new ReadableChunks(raw, mapped)
    expect(raw.listenerCount('data')).toBe(0)
    raw.write(bytes('a'))
    expect(String((await chunks.next()).value)).toBe('a')
    raw.write(bytes('b'))
    raw.write(bytes('c'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(raw.isPaused()).toBe(true)
    expect(String((await chunks.next()).value)).toBe('b')
    expect(String((await chunks.next()).value)).toBe('c')
  })

  it('throws the mapped error after the chunks already received', async () => {
    const raw = new PassThrough()
    const chunks = new ReadableChunks(raw, mapped)
    const first = chunks.next()
    raw.write(bytes('x'))
    await first
    raw.write(bytes('y'))
    await new Promise((resolve) => setImmediate(resolve))
    raw.destroy(new Error('socket hang up'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(String((await chunks.next()).value)).toBe('y')
    await expect(chunks.next()).rejects.toThrow('mapped: socket hang up')
    expect((await chunks.next()).done).toBe(true)
  })

  it('rejects a waiting read when the stream fails or closes before its end', async () => {
    const failing = new PassThrough()
    const a = new ReadableChunks(failing, mapped)
    const pending = a.next()
    failing.destroy(new Error('boom'))
    await expect(pending).rejects.toThrow('mapped: boom')

    const closing = new PassThrough()
    const b = new ReadableChunks(closing, mapped)
    const waiting = b.next()
    closing.destroy()
    await expect(waiting).rejects.toThrow('mapped: Premature close')
  })

  it('destroys the stream on an early return (frees the connection)', async () => {
    const raw = Readable.from([bytes('1'), bytes('2'), bytes('3')], { objectMode: false })
    const chunks = new ReadableChunks(raw, mapped)
    for await (const chunk of chunks) {
      expect(String(chunk)).toBe('1')
      break
    }
    expect(raw.destroyed).toBe(true)
  })

  it('hands chunks, the end and errors to a pull sink', async () => {
    const raw = new PassThrough()
    const chunks = new ReadableChunks(raw, mapped)
    const seen: string[] = []
    const sink = { item: (chunk: Uint8Array) => seen.push(`item ${String(chunk)}`), end: () => seen.push('end'), fail: (error: unknown) => seen.push(`fail ${(error as Error).message}`) }
    chunks.pull(sink)
    raw.write(bytes('a'))
    await new Promise((resolve) => setImmediate(resolve))
    chunks.pull(sink)
    raw.end()
    await new Promise((resolve) => setImmediate(resolve))
    chunks.pull(sink)
    expect(seen).toEqual(['item a', 'end', 'end'])

    const failing = new PassThrough()
    const b = new ReadableChunks(failing, mapped)
    b.pull(sink)
    failing.destroy(new Error('reset'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen.at(-1)).toBe('fail mapped: reset')
  })
})
