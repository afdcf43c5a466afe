import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeUpstreamClients, undiciLoadedByPath, upstreamRequest } from '../../src/upstream/client.js'
import { UpstreamError } from '../../src/errors/upstream-error.js'
import { CallAbort, engineCallContext, UpstreamWait } from '../../src/upstream/call-abort.js'

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
  it("uses undici's Agent and header-name table loaded by path, not the whole package (the installed undici still has them there)", () => {
    // If this fails, a newer undici moved them: the client still works through the package entry,
    // but loads all of undici (~9 MB more resident memory) — update the paths in client.ts.
    expect(undiciLoadedByPath).toBe(true)
  })

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

  it('rejects (does not throw) for a URL it cannot parse', async () => {
    let promise: Promise<unknown> | undefined
    expect(() => (promise = upstreamRequest({ url: 'not a url', method: 'GET' }))).not.toThrow()
    await expect(promise).rejects.toThrow(/Invalid URL/)
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

  /** A route at `path` that writes until its client leaves; resolves when the server saw it leave. */
  const endlessRoute = (path: string): Promise<void> =>
    new Promise<void>((closed) =>
      routes.set(path, (_req, res) => {
        res.writeHead(200)
        const timer = setInterval(() => res.write('tick'), 5)
        res.on('close', () => {
          clearInterval(timer)
          closed()
        })
      }),
    )

  it('cancel() releases an unfinished stream', async () => {
    const serverSawClose = endlessRoute('/endless')
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

  it('aborts through the call context: the engine\'s (no AbortSignal made) and any other', async () => {
    routes.set('/slow', (_req, res) => setTimeout(() => res.end('late'), 2_000))
    const deployment = { id: 'p/m#0', provider: 'p', model: 'm', keyIndex: 0 }
    const abort = new CallAbort()
    const ctx = engineCallContext(deployment, undefined, 'req_1', undefined, abort)
    const reason = new Error('total timeout')
    setTimeout(() => abort.abort(reason), 20)
    await expect(upstreamRequest({ url: `${baseURL}/slow`, method: 'GET', context: ctx })).rejects.toBe(reason)
    // A context the engine did not make: its signal is what aborts.
    const controller = new AbortController()
    const other = { deployment, apiKey: undefined, requestId: 'req_2', signal: controller.signal }
    setTimeout(() => controller.abort(reason), 20)
    await expect(upstreamRequest({ url: `${baseURL}/slow`, method: 'GET', context: other })).rejects.toBe(reason)
    // Aborted before the call starts: refused at once with the reason.
    await expect(upstreamRequest({ url: `${baseURL}/slow`, method: 'GET', context: ctx })).rejects.toBe(reason)
  })

  it('a body being read is cut by the context\'s abort, with its reason', async () => {
    routes.set('/dribble', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: 1\n\n')
      const timer = setInterval(() => res.write('data: x\n\n'), 10)
      res.on('close', () => clearInterval(timer))
    })
    const abort = new CallAbort()
    const res = await upstreamRequest({ url: `${baseURL}/dribble`, method: 'GET', context: engineCallContext({ id: 'p/m#0', provider: 'p', model: 'm', keyIndex: 0 }, undefined, 'req_3', undefined, abort) })
    const reason = new Error('idle timeout')
    let chunks = 0
    const read = async () => {
      for await (const _ of res.body) if (++chunks === 3) abort.abort(reason)
    }
    await expect(read()).rejects.toBe(reason)
    expect(chunks).toBeGreaterThanOrEqual(3)
  })

  it("records how long the upstream kept a call made with the engine's context waiting, not the caller's own work", async () => {
    routes.set('/late', (_req, res) => setTimeout(() => res.end('{"ok":true}'), 60))
    const wait = new UpstreamWait()
    const ctx = engineCallContext({ id: 'p/m#0', provider: 'p', model: 'm', keyIndex: 0 }, undefined, 'req_4', undefined, new CallAbort(), wait)
    const started = performance.now()
    const response = await upstreamRequest({ url: `${baseURL}/late`, method: 'GET', context: ctx })
    expect(await response.text()).toBe('{"ok":true}')
    // The caller's own work after the answer (parsing, translating): part of the attempt, not of the wait.
    const busyUntil = performance.now() + 40
    while (performance.now() < busyUntil);
    const now = performance.now()
    const waited = wait.upstreamMs(now - started, now)
    expect(waited).toBeGreaterThanOrEqual(55)
    expect(waited).toBeLessThan(now - started - 35)
    // A second call of the same attempt adds its own wait.
    await (await upstreamRequest({ url: `${baseURL}/late`, method: 'GET', context: ctx })).text()
    const later = performance.now()
    expect(wait.upstreamMs(later - started, later)).toBeGreaterThanOrEqual(waited + 55)
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

  it('joins repeated headers, keeps a __proto__ header as a plain entry, and reads text as UTF-8 across chunks without a byte-order mark', async () => {
    routes.set('/multi', (_req, res) => {
      res.writeHead(200, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Mesh-Test', 'one'], ['x-mesh-test', 'two'], ['__proto__', 'odd']])
      // "é" is two bytes (c3 a9): the first chunk ends inside it.
      const bytes = Buffer.from('\ufeffcaf\u00e9 ok', 'utf8')
      res.write(bytes.subarray(0, 6))
      setTimeout(() => res.end(bytes.subarray(6)), 5)
    })
    const res = await upstreamRequest({ url: `${baseURL}/multi`, method: 'GET' })
    expect(res.headers['set-cookie']).toBe('a=1, b=2')
    expect(res.headers['x-mesh-test']).toBe('one, two')
    expect(Object.hasOwn(res.headers, '__proto__')).toBe(true)
    expect(res.headers['__proto__']).toBe('odd')
    expect(Object.getPrototypeOf(res.headers)).toBe(Object.prototype)
    expect(await res.text()).toBe('caf\u00e9 ok')
  })

  it('stops reading the socket while nobody reads a large body, then yields every byte in order', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'x')
    const total = 4 * 1024 * 1024
    let written = 0
    let blocked!: () => void
    const serverBlocked = new Promise<void>((resolve) => (blocked = resolve))
    routes.set('/large', (_req, res) => {
      res.writeHead(200, { 'content-length': String(total) })
      const pump = () => {
        while (written < total) {
          chunk[0] = 48 + ((written / chunk.length) % 10) // a marker per chunk, to check the order
          written += chunk.length
          if (!res.write(Buffer.from(chunk))) return void (res.once('drain', pump), blocked())
        }
        res.end()
      }
      pump()
    })
    const res = await upstreamRequest({ url: `${baseURL}/large`, method: 'GET' })
    await serverBlocked
    // Nobody reads: once the client's queue and the socket buffers are full, the server stays blocked.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const writtenWhileIdle = written
    expect(writtenWhileIdle).toBeLessThan(total)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(written).toBe(writtenWhileIdle)
    let received = 0
    let ordered = true
    for await (const part of res.body) {
      for (let i = 0; i < part.length; i++) {
        const at = received + i
        if (at % chunk.length === 0 && part[i] !== 48 + ((at / chunk.length) % 10)) ordered = false
      }
      received += part.length
    }
    expect(received).toBe(total)
    expect(ordered).toBe(true)
  })

  it('gives the chunks received before a broken connection, then the error, then ends', async () => {
    routes.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('one ')
      setTimeout(() => res.write('two'), 5)
      setTimeout(() => res.destroy(), 20)
    })
    const res = await upstreamRequest({ url: `${baseURL}/cut`, method: 'GET' })
    // Nobody reads until the connection is gone.
    await new Promise((resolve) => setTimeout(resolve, 80))
    const iterator = res.body[Symbol.asyncIterator]()
    let text = ''
    let error: unknown
    for (;;) {
      try {
        const r = await iterator.next()
        if (r.done) break
        text += Buffer.from(r.value).toString()
      } catch (e) {
        error = e
        break
      }
    }
    expect(text).toBe('one two')
    expect(UpstreamError.isInstance(error)).toBe(true)
    expect(await iterator.next()).toEqual({ value: undefined, done: true })
    // text() of a failed answer rejects with the same error.
    const again = await upstreamRequest({ url: `${baseURL}/cut`, method: 'GET' })
    expect(UpstreamError.isInstance(await again.text().catch((e: unknown) => e))).toBe(true)
  })

  it('an early return() from the body frees the connection, and the body ends', async () => {
    const serverSawClose = endlessRoute('/endless2')
    const res = await upstreamRequest({ url: `${baseURL}/endless2`, method: 'GET' })
    for await (const _ of res.body) break
    await serverSawClose
    expect(await res.body[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true })
  })
})

describe('CallAbort and the engine call context', () => {
  const deployment = { id: 'p/m#0', provider: 'p', model: 'm', keyIndex: 0 }

  it('makes a real AbortSignal only when asked, aborted with the same reason before or after', () => {
    const before = new CallAbort()
    const early = new Error('first')
    before.abort(early)
    before.abort(new Error('second')) // the first reason stays
    expect(before.signal).toBeInstanceOf(AbortSignal)
    expect(before.signal.aborted).toBe(true)
    expect(before.signal.reason).toBe(early)

    const after = new CallAbort()
    const signal = after.signal
    let heard = 0
    after.on('abort', () => heard++)
    signal.addEventListener('abort', () => heard++)
    expect(signal.aborted).toBe(false)
    const reason = new Error('total timeout')
    after.abort(reason)
    after.abort(new Error('again'))
    expect([after.aborted, after.reason, signal.aborted, signal.reason, heard]).toEqual([true, reason, true, reason, 2])
  })

  it('the context reads like any ProviderCallContext, and a spread copy keeps its signal', () => {
    const abort = new CallAbort()
    const ctx = engineCallContext(deployment, 'sk-1', 'req_9', 5_000, abort)
    expect({ deployment: ctx.deployment, apiKey: ctx.apiKey, requestId: ctx.requestId, connectTimeoutMs: ctx.connectTimeoutMs }).toEqual({ deployment, apiKey: 'sk-1', requestId: 'req_9', connectTimeoutMs: 5_000 })
    const copy = { ...ctx }
    expect(copy.signal).toBe(ctx.signal)
    abort.abort(new Error('stop'))
    expect(copy.signal.aborted).toBe(true)
  })
})

describe('UpstreamWait', () => {
  it('is the whole attempt when no call was timed, the calls\' waits otherwise, and an unanswered call waits until now', () => {
    const wait = new UpstreamWait()
    expect(wait.upstreamMs(12, 1_000)).toBe(12)
    wait.sent(100)
    expect(wait.upstreamMs(50, 130)).toBe(30)
    wait.arrived(110)
    wait.arrived(120)
    expect(wait.upstreamMs(50, 130)).toBe(20)
    wait.sent(200)
    wait.arrived(205)
    expect(wait.upstreamMs(150, 250)).toBe(25)
    // Never more than the attempt itself.
    expect(wait.upstreamMs(10, 250)).toBe(10)
  })
})
