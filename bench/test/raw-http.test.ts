import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RawPool, encodeRequest } from '../load/raw-http.mjs'

interface Answer {
  status: number
  headerValue: string | undefined
  firstDataAt: number | undefined
  endedAt: number
  head: string
  tail: string
}
const JSON_OPTIONS = { header: 'x-mesh-overhead-ms', watchData: false, keepHead: 200, keepTail: false }
const STREAM_OPTIONS = { header: 'x-mesh-overhead-ms', watchData: true, keepHead: 200, keepTail: true }

const servers: Array<HttpServer | NetServer> = []
const pools: RawPool[] = []
afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close()
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve))
})

async function listen<S extends HttpServer | NetServer>(server: S): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function poolFor(origin: string, connections = 4): RawPool {
  const pool = new RawPool(origin, { connections })
  pools.push(pool)
  return pool
}

function ask(pool: RawPool, bytes: Buffer, options = JSON_OPTIONS): Promise<Answer> {
  return new Promise((resolve, reject) => pool.request(bytes, (error: Error | undefined, answer: Answer) => (error ? reject(error) : resolve(answer)), options))
}

/** A raw TCP server that answers every request (read up to its blank line and body) with `pieces`, written one by one. */
async function rawServer(pieces: string[], { close = false } = {}): Promise<{ origin: string; connections: () => number }> {
  let connections = 0
  const server = createNetServer((socket: Socket) => {
    connections++
    let seen = ''
    socket.on('data', async (data) => {
      seen += data.toString('latin1')
      const end = seen.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/content-length: (\d+)/i.exec(seen.slice(0, end))?.[1] ?? 0)
      if (seen.length < end + 4 + length) return
      seen = seen.slice(end + 4 + length)
      for (const piece of pieces) {
        socket.write(piece)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      if (close) socket.end()
    })
  })
  return { origin: await listen(server), connections: () => connections }
}

describe('encodeRequest', () => {
  it('writes the request line, host, the given headers and the body with its length', () => {
    const bytes = encodeRequest({ url: 'http://127.0.0.1:8080/v1/chat/completions?x=1', headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'Content-Length': '999' }, body: '{"a":"é"}' })
    expect(bytes.toString('utf8')).toBe(
      'POST /v1/chat/completions?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-type: application/json\r\nauthorization: Bearer k\r\ncontent-length: 10\r\n\r\n{"a":"é"}',
    )
  })
})

describe('RawPool', () => {
  it('reads a Content-Length answer from node:http: status, the header asked for, the body text', async () => {
    const origin = await listen(
      createHttpServer((req, res) => {
        let body = ''
        req.on('data', (chunk) => (body += chunk))
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json', 'x-mesh-overhead-ms': '0.125' })
          res.end(JSON.stringify({ echo: JSON.parse(body), path: req.url }))
        })
      }),
    )
    const pool = poolFor(origin)
    const before = performance.now()
    const answer = await ask(pool, encodeRequest({ url: `${origin}/v1/x`, headers: { 'content-type': 'application/json' }, body: '{"n":1}' }))
    expect(answer.status).toBe(201)
    expect(answer.headerValue).toBe('0.125')
    expect(JSON.parse(answer.head)).toEqual({ echo: { n: 1 }, path: '/v1/x' })
    expect(answer.endedAt).toBeGreaterThan(before)
    expect(answer.firstDataAt).toBeUndefined()
  })

  it('reads a chunked SSE answer split at awkward places: first `data:` time, the tail with [DONE]', async () => {
    // Pieces cut inside the head, a chunk-size line, a chunk's data and the CRLF after it.
    const pieces = [
      'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-enc',
      'oding: chunked\r\n\r\n',
      '0',
      'f\r\ndata: {"a":1}\n',
      '\n\r',
      '\n',
      'e\r\ndata: [DONE]\n\n\r\n0\r\n',
      '\r\n',
    ]
    const { origin } = await rawServer(pieces)
    const pool = poolFor(origin)
    const answer = await ask(pool, encodeRequest({ url: `${origin}/s`, body: '{}' }), STREAM_OPTIONS)
    expect(answer.status).toBe(200)
    expect(answer.head).toBe('data: {"a":1}\n')
    expect(answer.firstDataAt).toBeTypeOf('number')
    // Two more pieces (2 ms apart) came after the first event.
    expect(answer.endedAt - answer.firstDataAt!).toBeGreaterThan(1)
    expect(answer.tail.endsWith('data: [DONE]\n\n')).toBe(true)
  })

  it('keeps connections alive: more requests than connections wait and reuse them', async () => {
    const body = '{"ok":true}'
    const { origin, connections } = await rawServer([`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`])
    const pool = poolFor(origin, 3)
    const bytes = encodeRequest({ url: `${origin}/`, body: 'x' })
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(pool, bytes)))
    expect(answers.map((a) => a.head)).toEqual(Array(20).fill(body))
    expect(connections()).toBe(3)
  })

  it('opens a new connection after `connection: close`, and fails a request whose answer is cut', async () => {
    const { origin, connections } = await rawServer(['HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok'], { close: true })
    const pool = poolFor(origin, 1)
    const bytes = encodeRequest({ url: `${origin}/`, body: '' })
    expect((await ask(pool, bytes)).head).toBe('ok')
    expect((await ask(pool, bytes)).head).toBe('ok')
    expect(connections()).toBe(2)

    const cut = await rawServer(['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nonly'], { close: true })
    await expect(ask(poolFor(cut.origin, 1), bytes)).rejects.toThrow(/closed by the server/)
  })

  it('reports a bad chunk size as an error', async () => {
    const { origin } = await rawServer(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'])
    await expect(ask(poolFor(origin), encodeRequest({ url: `${origin}/`, body: '' }))).rejects.toThrow(/bad chunk size/)
  })
})
