import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, meshOverFakes, post } from './helpers.js'

let setup: Awaited<ReturnType<typeof meshOverFakes>> | undefined
afterEach(async () => {
  await setup?.close()
  setup = undefined
})

async function readSSE(response: Response): Promise<string[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
}

describe('failover and retries', () => {
  it('serves from the second deployment when the first answers 500', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.script({ status: 500 })
    setup.fakes[1]!.script({ reply: 'from the second' })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(200)
    expect((await response.json()).choices[0].message.content).toBe('from the second')
    expect(response.headers.get('x-mesh-provider')).toBe('up1')
    expect(response.headers.get('x-mesh-attempts')).toBe('2')
    expect(setup.fakes.map((f) => f.calls.length)).toEqual([1, 1])
  })

  it('retries a 429 after its Retry-After (about a second)', async () => {
    setup = await meshOverFakes(1)
    setup.fakes[0]!.script({ status: 429, retryAfter: 1 }, { reply: 'after the wait' })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(200)
    const [first, second] = setup.fakes[0]!.calls
    const waited = second!.time - first!.time
    expect(waited).toBeGreaterThanOrEqual(950)
    expect(waited).toBeLessThan(3000)
    expect(response.headers.get('x-mesh-attempts')).toBe('2')
  })

  it('does not wait for a Retry-After longer than the pool allows', async () => {
    setup = await meshOverFakes(1, { retry: { maxRetryAfter: '2s' } })
    setup.fakes[0]!.script({ status: 429, retryAfter: 60 })
    const started = Date.now()
    const response = await post(setup.mesh, chatBody())
    // Every key throttled is a rate limit for the client too, with the upstream's Retry-After.
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('60')
    expect((await response.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'all_keys_rate_limited' })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(setup.fakes[0]!.calls).toHaveLength(1)
  })

  it('answers 502 naming every attempt when all deployments are down', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 1 } })
    setup.fakes[0]!.setDefault({ status: 503 })
    setup.fakes[1]!.setDefault({ disconnectBeforeHeaders: true })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(502)
    const { error } = await response.json()
    expect(error).toMatchObject({ type: 'upstream_error', code: 'all_deployments_failed' })
    expect(error.attempts).toHaveLength(3)
    expect(error.attempts[0]).toEqual({ deployment: 'up0/model-0#0', provider: 'up0', model: 'model-0', status: 503, reason: 'http_503' })
    expect(error.attempts[1]).toMatchObject({ deployment: 'up1/model-1#0', status: null })
    expect(error.attempts[1].reason).toMatch(/connection|socket|closed/i)
    expect(error.message).toContain('up0/model-0#0: http_503')
    expect(error.message).toContain('up1/model-1#0')
  })

  it('passes an upstream 400 through without trying others', async () => {
    setup = await meshOverFakes(2)
    setup.fakes[0]!.script({ status: 400, errorBody: { error: { message: 'bad tool schema', type: 'invalid_request_error', param: 'tools', code: null } } })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(400)
    expect((await response.json()).error.message).toBe('bad tool schema')
    expect(setup.fakes[1]!.calls).toHaveLength(0)
  })

  it('moves to the next key when a key is refused (401), never showing the client a 401', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 3 } })
    setup.fakes[0]!.setDefault({ status: 401 })
    setup.fakes[1]!.script({ reply: 'ok' })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(200)
    // A refused key is not retried: it will not start working within this request.
    expect(setup.fakes[0]!.calls).toHaveLength(1)
  })

  it('follows a request-level models list with route "fallback"', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.setDefault({ status: 500 })
    // fakes[1] serves both `smart` (model-1) and `backup` (backup-model).
    setup.fakes[1]!.script({ status: 500 }, { reply: 'backup answered' })
    const response = await post(setup.mesh, chatBody({ model: 'smart', models: ['backup'], route: 'fallback' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-model')).toBe('backup-model')
    // The gateway's own fields never reach an upstream.
    const sent = setup.fakes[1]!.calls.at(-1)!.body as Record<string, unknown>
    expect(sent.models).toBeUndefined()
    expect(sent.route).toBeUndefined()
  })

  it('treats a 200 with malformed JSON as a failed attempt', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.script({ malformed: true })
    const response = await post(setup.mesh, chatBody())
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-provider')).toBe('up1')
  })
})

describe('streaming failover', () => {
  it('fails over when the upstream dies before the first chunk', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.script({ disconnectAfterChunks: 0 })
    setup.fakes[1]!.script({ reply: 'second stream' })
    const response = await post(setup.mesh, chatBody({ stream: true }))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-provider')).toBe('up1')
    const events = await readSSE(response)
    expect(events.at(-1)).toBe('[DONE]')
    const text = events.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').join('')
    expect(text).toBe('second stream')
  })

  it('fails over when the first stream answers 503 before any byte', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.script({ status: 503 })
    const response = await post(setup.mesh, chatBody({ stream: true }))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-mesh-attempts')).toBe('2')
  })

  it('ends with an in-band error event when the upstream dies after the first chunk', async () => {
    setup = await meshOverFakes(2, { retry: { attempts: 0 } })
    setup.fakes[0]!.script({ reply: 'this stream will break half way', chunkSize: 4, disconnectAfterChunks: 3 })
    const response = await post(setup.mesh, chatBody({ stream: true }))
    expect(response.status).toBe(200)
    const events = await readSSE(response)
    const last = JSON.parse(events.at(-1)!)
    expect(last.error).toMatchObject({ type: 'upstream_error', code: 'upstream_stream_error' })
    expect(events).not.toContain('[DONE]')
    // Committed bytes cannot be taken back: no failover after the first chunk.
    expect(setup.fakes[1]!.calls).toHaveLength(0)
  })

  it('ends with an error event on a malformed chunk mid-stream, and keeps serving', async () => {
    setup = await meshOverFakes(1)
    setup.fakes[0]!.script({ reply: 'some streamed text here', chunkSize: 4, malformed: true })
    const broken = await readSSE(await post(setup.mesh, chatBody({ stream: true })))
    expect(JSON.parse(broken.at(-1)!).error.message).toMatch(/malformed chunk/)
    const next = await post(setup.mesh, chatBody())
    expect(next.status).toBe(200)
  })

  it('ends with an error event when the upstream goes idle', async () => {
    setup = await meshOverFakes(1, { timeout: { idle: '200ms' } })
    setup.fakes[0]!.script({ reply: 'slow stream', chunkSize: 2, chunkDelayMs: 2000 })
    const events = await readSSE(await post(setup.mesh, chatBody({ stream: true })))
    expect(JSON.parse(events.at(-1)!).error.message).toMatch(/sent nothing for 200 ms/)
  })
})
