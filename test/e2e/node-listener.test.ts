// mesh.node: the chat routes written straight to Node's response (no fetch API), everything else via Hono.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { billingSetup, REQUEST_COST, type BillingSetup } from './billing-helpers.js'

let setup: BillingSetup | undefined
let server: Server | undefined

afterEach(async () => {
  if (server) await new Promise<void>((resolve) => (server!.close(() => resolve()), server!.closeAllConnections()))
  server = undefined
  await setup?.close()
  setup = undefined
})

async function listen(s: BillingSetup): Promise<string> {
  server = createServer(s.mesh.node)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

interface Sent {
  status: number
  headers: IncomingMessage['headers']
  text: string
}

function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }))
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

const chat = (key: string | undefined, body: Record<string, unknown> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1000, ...body }),
})

const entriesOf = async (s: BillingSetup, accountId: string) => (await s.mesh.billing.ledger.entries(accountId)).filter((e) => e.kind === 'usage')

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read()
    if (done(value)) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not reached within 2 s')
}

describe('mesh.node', () => {
  it('answers a billed chat completion with the same receipts as the fetch handler, and a content-length', async () => {
    setup = await billingSetup()
    const origin = await listen(setup)
    const { key, accountId } = await setup.account(1)
    const viaNode = await send(`${origin}/v1/chat/completions`, chat(key))
    const viaFetch = await setup.chat(key)
    expect(viaNode.status).toBe(200)
    expect(Number(viaNode.headers['content-length'])).toBe(Buffer.byteLength(viaNode.text))
    for (const name of ['content-type', 'x-mesh-provider', 'x-mesh-model', 'x-mesh-attempts', 'x-mesh-cost-usd', 'x-ratelimit-limit-requests']) {
      expect(viaNode.headers[name], name).toBe(viaFetch.headers.get(name) ?? undefined)
    }
    const json = JSON.parse(viaNode.text)
    expect(json.choices[0].message.content).toBe('billed answer')
    expect(json.usage.cost).toBe(REQUEST_COST / 1e6)
    expect(await eventually(() => entriesOf(setup!, accountId), (e) => e.length === 2)).toHaveLength(2)
  })

  it('serves the chat routes with a query string, and everything else through the Hono app', async () => {
    setup = await billingSetup()
    const origin = await listen(setup)
    const { key } = await setup.account(1)
    expect((await send(`${origin}/v1/chat/completions?trace=1`, chat(key))).status).toBe(200)
    const models = await send(`${origin}/v1/models`)
    expect(models.status).toBe(200)
    expect(JSON.parse(models.text).data.map((m: { id: string }) => m.id)).toEqual(['smart', 'other'])
    const wrongMethod = await send(`${origin}/v1/chat/completions`)
    expect(wrongMethod.status).toBe(404)
    expect(JSON.parse(wrongMethod.text).error.code).toBe('unknown_route')
  })

  it('reads a chunked body (no content-length) in pieces, and answers 413 as soon as it passes the limit', async () => {
    setup = await billingSetup({ server: { bodyLimit: '1kb' } })
    const origin = await listen(setup)
    const { key } = await setup.account(1)
    // Written in several chunks without a content-length: the limit is only known while reading.
    const chunked = (text: string) =>
      new Promise<Sent>((resolve, reject) => {
        const req = httpRequest(`${origin}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'transfer-encoding': 'chunked' } }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: body }))
        })
        req.on('error', reject)
        for (let i = 0; i < text.length; i += 100) req.write(text.slice(i, i + 100))
        req.end()
      })
    const small = await chunked(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello in pieces' }], max_tokens: 1000 }))
    expect(small.status).toBe(200)
    expect(setup.fake.calls.at(-1)!.body).toMatchObject({ messages: [{ role: 'user', content: 'Hello in pieces' }] })
    const calls = setup.fake.calls.length
    const tooBig = await chunked(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x'.repeat(3000) }] }))
    expect(tooBig.status).toBe(413)
    expect(JSON.parse(tooBig.text).error.code).toBe('request_too_large')
    expect(setup.fake.calls).toHaveLength(calls)
  })

  it('refuses bad input in the caller dialect, calling no upstream', async () => {
    setup = await billingSetup({ server: { bodyLimit: '1kb' } })
    const origin = await listen(setup)
    const { key } = await setup.account(1)
    const noKey = await send(`${origin}/v1/chat/completions`, chat(undefined))
    expect(noKey.status).toBe(401)
    expect(JSON.parse(noKey.text).error).toMatchObject({ type: 'authentication_error' })
    const tooBig = await send(`${origin}/v1/chat/completions`, chat(key, { messages: [{ role: 'user', content: 'x'.repeat(2000) }] }))
    expect(tooBig.status).toBe(413)
    expect(JSON.parse(tooBig.text).error.code).toBe('request_too_large')
    const anthropic = await send(`${origin}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{"model":' })
    expect(anthropic.status).toBe(400)
    expect(JSON.parse(anthropic.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    expect(setup.fake.calls).toHaveLength(0)
  })

  it('streams every event to a client that reads slowly (backpressure), then [DONE]', async () => {
    setup = await billingSetup()
    const origin = await listen(setup)
    const { key } = await setup.account(1)
    const reply = 'streamed through backpressure '.repeat(4000)
    setup.fake.script({ reply, chunkSize: 64 })
    const text = await new Promise<string>((resolve, reject) => {
      const init = chat(key, { stream: true })
      const req = httpRequest(`${origin}/v1/chat/completions`, { method: 'POST', headers: init.headers }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        // Read nothing for a while: the gateway must wait for 'drain', not buffer or drop.
        res.pause()
        setTimeout(() => res.resume(), 200)
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve(body))
      })
      req.on('error', reject)
      req.end(init.body)
    })
    const events = text.split('\n\n').filter(Boolean)
    expect(events.at(-1)).toBe('data: [DONE]')
    const content = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)).choices[0]?.delta?.content ?? '').join('')
    expect(content).toBe(reply)
  })

  it('bills a stream whose client hangs up after the first event', async () => {
    setup = await billingSetup()
    const origin = await listen(setup)
    const { key, accountId } = await setup.account(1)
    setup.fake.script({ reply: 'a long streamed answer '.repeat(20), chunkSize: 10, chunkDelayMs: 5, usage: { prompt_tokens: 1000, completion_tokens: 500 } })
    await new Promise<void>((resolve, reject) => {
      const init = chat(key, { stream: true })
      const req = httpRequest(`${origin}/v1/chat/completions`, { method: 'POST', headers: init.headers }, (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.on('close', () => resolve())
      setTimeout(() => reject(new Error('no first event')), 5000).unref()
      req.end(init.body)
    })
    const usage = await eventually(() => entriesOf(setup!, accountId), (e) => e.length === 1)
    expect(usage[0]!.amountMicroUsd).toBe(-REQUEST_COST)
    const { data } = await (await setup.admin(`/usage?accountId=${accountId}`)).json()
    expect(data[0]).toMatchObject({ stream: true, clientDisconnected: true, usage: { inputTokens: 1000, outputTokens: 500 } })
  })
})
