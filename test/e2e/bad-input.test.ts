import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chatBody, meshOverFakes, post } from './helpers.js'

describe('bad input gets an OpenAI-shaped error and never reaches an upstream', () => {
  let setup: Awaited<ReturnType<typeof meshOverFakes>>
  beforeAll(async () => {
    setup = await meshOverFakes(1, {}, { bodyLimit: '1kb' })
  })
  afterAll(() => setup.close())

  async function expectError(response: Response, status: number, match: Record<string, unknown>) {
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    const body = await response.json()
    expect(Object.keys(body)).toEqual(['error'])
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
    expect(body.error).toMatchObject(match)
    expect(setup.fakes[0]!.calls).toHaveLength(0)
    return body.error
  }

  it('malformed JSON → 400', async () => {
    const error = await expectError(await post(setup.mesh, '{"model": "smart", "messages": ['), 400, { type: 'invalid_request_error', code: 'invalid_json' })
    expect(error.message).toMatch(/could not parse the JSON body/)
  })

  it('a body that is not an object → 400', async () => {
    await expectError(await post(setup.mesh, '[1,2]'), 400, { type: 'invalid_request_error', code: 'invalid_json' })
  })

  it('missing messages → 400 naming the parameter', async () => {
    await expectError(await post(setup.mesh, { model: 'smart' }), 400, { type: 'invalid_request_error', param: 'messages' })
  })

  it('wrong type → 400 naming the parameter', async () => {
    await expectError(await post(setup.mesh, chatBody({ temperature: 'hot' })), 400, { type: 'invalid_request_error', param: 'temperature' })
  })

  it('wrong type deep in a message → 400 with its path', async () => {
    const error = await expectError(await post(setup.mesh, { model: 'smart', messages: [{ role: 'user', content: 42 }] }), 400, { type: 'invalid_request_error' })
    expect(error.param).toMatch(/^messages\[0\]/)
  })

  it('unknown model → 404', async () => {
    const error = await expectError(await post(setup.mesh, chatBody({ model: 'gpt-9' })), 404, { type: 'not_found_error', code: 'model_not_found', param: 'model' })
    expect(error.message).toContain('smart')
  })

  it('unknown model in a fallback list → 404 before any call', async () => {
    await expectError(await post(setup.mesh, chatBody({ models: ['nope'], route: 'fallback' })), 404, { code: 'model_not_found' })
  })

  it('body over the limit → 413', async () => {
    const big = chatBody({ messages: [{ role: 'user', content: 'x'.repeat(4096) }] })
    await expectError(await post(setup.mesh, big), 413, { type: 'invalid_request_error', code: 'request_too_large' })
  })

  it('unknown route → 404 in the same shape', async () => {
    const response = await setup.mesh.fetch(new Request('http://gateway.test/v1/nothing-here'))
    await expectError(response, 404, { type: 'not_found_error' })
  })
})
