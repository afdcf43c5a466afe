import { execFile } from 'node:child_process'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cClientBinary, cCompiler, parseCClientLine } from '../load/c-client.mjs'

const OPENLOOP = join(dirname(fileURLToPath(import.meta.url)), '..', 'load', 'openloop.mjs')
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

const servers: NetServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve))
})

/** A raw TCP server that answers every request (its head and Content-Length body) with `pieces`, written one by one, `gapMs` apart. */
async function rawServer(pieces: string[], { close = false, gapMs = 2, delayMs = 0 } = {}): Promise<{ url: string; connections: () => number }> {
  let connections = 0
  const server = createNetServer((socket: Socket) => {
    connections++
    socket.setNoDelay(true) // each piece its own segment (Nagle would hold the small ones back)
    let seen = ''
    socket.on('error', () => {})
    socket.on('data', async (data) => {
      seen += data.toString('latin1')
      for (;;) {
        const end = seen.indexOf('\r\n\r\n')
        if (end < 0) return
        const length = Number(/content-length: (\d+)/i.exec(seen.slice(0, end))?.[1] ?? 0)
        if (seen.length < end + 4 + length) return
        seen = seen.slice(end + 4 + length)
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
        for (const piece of pieces) {
          if (socket.destroyed) return
          socket.write(piece)
          if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs))
        }
        if (close) socket.end()
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, connections: () => connections }
}

interface Result {
  client: string
  sent: number
  unfinished: number
  errors: number
  non2xx: number
  firstError?: string
  latencyMs: { p50: number; count: number }
  ttftMs?: { p50: number; max: number; count: number }
  ownOverheadMs?: { p50: number; count: number }
  pacing: { mode: string; sentAlone: number }
  raw?: { latency: number[]; ttft?: number[]; sentMonotonicMs?: number[] }
}

/** openloop.mjs with the C client: `rate` requests a second for `seconds` (no warm-up unless given). */
function openLoop(url: string, input: Record<string, unknown>): Promise<Result> {
  const args = JSON.stringify({ url, rate: 50, durationS: 0.4, warmupS: 0, connections: 4, client: 'c', body: BODY, drainS: 5, raw: true, sentTimes: true, ...input })
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [OPENLOOP, args], { timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Result))),
  )
}

const JSON_ANSWER = (extra = '') => {
  const body = '{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}]}'
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nX-Mesh-Overhead-Ms: 0.25\r\n${extra}content-length: ${body.length}\r\n\r\n${body}`
}

const noCompiler = !cCompiler()

// The C client needs a C compiler (gcc here); without one the bench falls back to the Node client (--client raw).
describe.skipIf(noCompiler)('the C open-loop client (load/openloop.c; skipped only where no C compiler is installed)', () => {
  it('builds, and its binary is reused while the source is unchanged', () => {
    const first = cClientBinary()
    expect(cClientBinary()).toBe(first)
  })

  it('answers framed by Content-Length, one at a time per keep-alive connection, with the overhead header read', async () => {
    const server = await rawServer([JSON_ANSWER()], { gapMs: 0 })
    const r = await openLoop(server.url, {})
    expect(r).toMatchObject({ client: 'c', sent: 20, unfinished: 0, errors: 0, non2xx: 0 })
    expect(r.latencyMs.count).toBe(20)
    expect(r.ownOverheadMs).toMatchObject({ p50: 0.25, count: 20 })
    expect(r.ttftMs).toBeUndefined()
    expect(r.pacing).toMatchObject({ mode: 'epoll', sentAlone: 1 })
    // 50 a second, each answered in well under 20 ms: one connection serves them all
    expect(server.connections()).toBe(1)
    // sent times on CLOCK_MONOTONIC, 20 ms apart
    const sent = r.raw!.sentMonotonicMs!
    expect(sent).toHaveLength(20)
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!)
    expect(Math.min(...gaps)).toBeGreaterThan(15)
    expect(Math.max(...gaps)).toBeLessThan(40)
  })

  it('a chunked SSE answer cut anywhere: head, size line, chunk data, the CRLF after it, and `data:` itself', async () => {
    const events = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
    const size = events.length.toString(16)
    const pieces = [
      'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-mesh-overhead-ms: 0.5\r\ntransfer-en',
      'coding: chunked\r\n\r\n',
      `${size.slice(0, 1)}`,
      `${size.slice(1)}\r\nda`,
      `ta: {"choices"`,
      events.slice('data: {"choices"'.length) + '\r',
      '\n0\r\n',
      '\r\n',
    ]
    const server = await rawServer(pieces, { gapMs: 3 })
    const r = await openLoop(server.url, { stream: true, rate: 20, durationS: 0.5 })
    expect(r).toMatchObject({ sent: 10, unfinished: 0, errors: 0, non2xx: 0 })
    expect(r.ttftMs!.count).toBe(10)
    // the first `data:` came in the fourth piece (~9 ms in), the end ~21 ms in
    const ttft = r.raw!.ttft!
    const latency = r.raw!.latency
    for (let i = 0; i < ttft.length; i++) {
      expect(ttft[i]!).toBeGreaterThan(5_000)
      expect(latency[i]! - ttft[i]!, `ttft ${ttft[i]} latency ${latency[i]}`).toBeGreaterThan(5_000)
    }
    expect(r.ownOverheadMs).toMatchObject({ p50: 0.5 })
  })

  it('a stream that ends without [DONE] counts as an error, not a sample', async () => {
    const events = 'data: {"choices":[]}\n\n'
    const server = await rawServer([`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${events.length.toString(16)}\r\n${events}\r\n0\r\n\r\n`], { gapMs: 0 })
    const r = await openLoop(server.url, { stream: true })
    expect(r).toMatchObject({ sent: 20, errors: 20, firstError: 'stream ended without [DONE]' })
    expect(r.latencyMs).toBeNull()
  })

  it('an error status is counted with the start of its body', async () => {
    const body = '{"error":{"message":"no such model"}}'
    const server = await rawServer([`HTTP/1.1 404 Not Found\r\ncontent-length: ${body.length}\r\n\r\n${body}`], { gapMs: 0 })
    const r = await openLoop(server.url, {})
    expect(r).toMatchObject({ sent: 20, non2xx: 20, errors: 0, firstError: `404 ${body}` })
  })

  it('a connection idle for longer than idleMs is closed, not reused (the server may be closing it)', async () => {
    const server = await rawServer([JSON_ANSWER()], { gapMs: 0 })
    // 50 ms between requests: with idleMs 20 every request finds its connection too old
    const r = await openLoop(server.url, { rate: 20, durationS: 0.3, idleMs: 20 })
    expect(r).toMatchObject({ sent: 6, errors: 0, non2xx: 0 })
    expect(r.latencyMs.count).toBe(6)
    expect(server.connections()).toBe(6)
  })

  it('`connection: close` answers: a new connection for the next request', async () => {
    const server = await rawServer([JSON_ANSWER('connection: close\r\n')], { gapMs: 0, close: true })
    const r = await openLoop(server.url, {})
    expect(r).toMatchObject({ sent: 20, errors: 0, non2xx: 0 })
    expect(r.latencyMs.count).toBe(20)
    expect(server.connections()).toBe(20)
  })

  it('a bad chunk size fails the answer and its connection', async () => {
    const server = await rawServer(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'], { gapMs: 0 })
    const r = await openLoop(server.url, {})
    expect(r).toMatchObject({ sent: 20, errors: 20, firstError: 'bad framing in the answer' })
    expect(server.connections()).toBe(20)
  })

  it('requests beyond the pool wait in order for a connection, and their wait counts', async () => {
    // 100 a second for 0.3 s, answers after 50 ms, two connections: ~40 a second served, the rest queue.
    const server = await rawServer([JSON_ANSWER()], { gapMs: 0, delayMs: 50 })
    const r = await openLoop(server.url, { rate: 100, durationS: 0.3, connections: 2 })
    expect(r).toMatchObject({ sent: 30, unfinished: 0, errors: 0 })
    expect(server.connections()).toBe(2)
    const latency = r.raw!.latency
    expect(Math.min(...latency)).toBeGreaterThan(45_000)
    // the last requests waited for the first ones: 30 answers over two connections take ~750 ms
    expect(Math.max(...latency)).toBeGreaterThan(300_000)
  })

  it('a target that does not answer leaves requests unfinished after the drain time', async () => {
    const server = await rawServer([], { gapMs: 0 })
    const r = await openLoop(server.url, { rate: 20, durationS: 0.2, drainS: 0.3 })
    expect(r).toMatchObject({ sent: 4, unfinished: 4 })
    expect(r.latencyMs).toBeNull()
  })
})

describe('the C client output parser', () => {
  it('reads samples, phases, counts and the first error', () => {
    const out = { latency: [] as number[], ttft: [] as number[], own: [] as number[], sent: [] as number[], phases: [] as unknown[], errors: 0, non2xx: 0, firstError: undefined as string | undefined }
    let started = 0
    for (const line of ['p 10 1.000 0 0.9 10 10 1', 'm', 's 250 -1 120 1000.5', 's 300 100 -1 1001.5', 'p 20 2.000 1 1.95 19 18 2', 'c 3 4', 'e 500 oops: bad', '']) parseCClientLine(line, out, () => started++)
    expect(started).toBe(1)
    expect(out).toMatchObject({ latency: [250, 300], ttft: [100], own: [120], sent: [1000.5, 1001.5], errors: 3, non2xx: 4, firstError: '500 oops: bad' })
    expect(out.phases).toEqual([
      { sent: 10, elapsed: 1, unfinished: 0, lastAnswerS: 0.9, dispatches: 10, alone: 10, largestBurst: 1 },
      { sent: 20, elapsed: 2, unfinished: 1, lastAnswerS: 1.95, dispatches: 19, alone: 18, largestBurst: 2 },
    ])
    expect(() => parseCClientLine('x what', out)).toThrow(/unexpected line/)
  })
})
