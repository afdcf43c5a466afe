import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeUpstreamClients, upstreamRequest } from '../../src/upstream/client.js'
import { UpstreamError } from '../../src/errors/upstream-error.js'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

let server: Server
let baseURL: string
const routes = new Map<string, Handler>()
const remotePorts = new Set<number>()

beforeAll(async () => {
  server = createServer((req, res) => {
    remotePorts.add(req.socket.remotePort ?? -1)
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname)
      if (handler) handler(req, res, body)
      else res.writeHead(404).end('no route')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await closeUpstreamClients()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('upstreamRequest', () => {
  it('sends method, headers, query and body, and exposes status and lower-cased headers', async () => {
    routes.set('/echo', (req, res, body) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Custom-Thing': 'yes' })
      res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, body }))
    })
    const res = await upstreamRequest({
      url: `${baseURL}/echo?api-version=1`,
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(res.status).toBe(201)
    expect(res.headers['x-custom-thing']).toBe('yes')
    expect(res.headers['content-type']).toBe('application/json')
    expect(JSON.parse(await res.text())).toEqual({ method: 'POST', url: '/echo?api-version=1', auth: 'Bearer k', body: '{"a":1}' })
  })

  it('accepts a Uint8Array body', async () => {
    routes.set('/bytes', (_req, res, body) => res.end(body.toUpperCase()))
    const res = await upstreamRequest({ url: `${baseURL}/bytes`, method: 'POST', body: new TextEncoder().encode('héllo') })
    expect(await res.text()).toBe('HÉLLO')
  })

  it('returns error statuses instead of throwing', async () => {
    routes.set('/fail', (_req, res) => res.writeHead(503, { 'retry-after': '2' }).end('{"error":{"message":"busy"}}'))
    const res = await upstreamRequest({ url: `${baseURL}/fail`, method: 'GET' })
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(await res.text()).toContain('busy')
  })

  it('streams the body chunk by chunk without waiting for the end', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    routes.set('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('first')
      void gate.then(() => res.end('second'))
    })
    const res = await upstreamRequest({ url: `${baseURL}/stream`, method: 'GET' })
    const iterator = res.body[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(new TextDecoder().decode(first.value)).toBe('first')
    release()
    let rest = ''
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += new TextDecoder().decode(r.value)
    expect(rest).toBe('second')
  })

  it('cancel() releases an unfinished stream', async () => {
    let closed!: () => void
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve))
    routes.set('/endless', (_req, res) => {
      res.writeHead(200)
      const timer = setInterval(() => res.write('tick'), 5)
      res.on('close', () => {
        clearInterval(timer)
        closed()
      })
    })
    const res = await upstreamRequest({ url: `${baseURL}/endless`, method: 'GET' })
    await res.body[Symbol.asyncIterator]().next()
    await res.cancel()
    await serverSawClose
  })

  it('reuses keep-alive connections to the same origin', async () => {
    routes.set('/ping', (_req, res) => res.end('pong'))
    remotePorts.clear()
    for (let i = 0; i < 10; i++) {
      const res = await upstreamRequest({ url: `${baseURL}/ping`, method: 'GET' })
      expect(await res.text()).toBe('pong')
    }
    // undici may open a second socket while the first is still being released; never one per request.
    expect(remotePorts.size).toBeLessThanOrEqual(2)
  })

  it('throws an UpstreamError with the cause kept when the host cannot be reached', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    const error = await upstreamRequest({ url: `http://127.0.0.1:${port}/x`, method: 'GET' }).catch((e: unknown) => e)
    expect(UpstreamError.isInstance(error)).toBe(true)
    const upstream = error as UpstreamError
    expect(upstream.status).toBeUndefined()
    expect(upstream.message).toContain('ECONNREFUSED')
    expect((upstream.cause as { code?: string }).code).toBe('ECONNREFUSED')
  })

  it('throws the signal reason when the caller aborts', async () => {
    routes.set('/slow', (_req, res) => setTimeout(() => res.end('late'), 2_000))
    const controller = new AbortController()
    const reason = new Error('first-token timeout')
    setTimeout(() => controller.abort(reason), 20)
    await expect(upstreamRequest({ url: `${baseURL}/slow`, method: 'GET', signal: controller.signal })).rejects.toBe(reason)
  })

  it('wraps a connection broken mid-body as an UpstreamError', async () => {
    routes.set('/broken', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('partial')
      setTimeout(() => res.destroy(), 10)
    })
    const res = await upstreamRequest({ url: `${baseURL}/broken`, method: 'GET' })
    const read = async () => {
      for await (const _ of res.body) void _
    }
    const error = await read().catch((e: unknown) => e)
    expect(UpstreamError.isInstance(error)).toBe(true)
    expect((error as UpstreamError).cause).toBeDefined()
  })

  it('applies the headers timeout', async () => {
    routes.set('/hang', (_req, res) => setTimeout(() => res.end('late'), 1_000))
    const error = await upstreamRequest({ url: `${baseURL}/hang`, method: 'GET', headersTimeoutMs: 50 }).catch((e: unknown) => e)
    expect(UpstreamError.isInstance(error)).toBe(true)
    expect((error as UpstreamError).message).toContain('UND_ERR_HEADERS_TIMEOUT')
  })
})
