import { createParser } from 'eventsource-parser'
import { expect } from 'vitest'
import { chatPathOf, chatRequest, collectText, requireFixture, TEST_API_KEY, within, type CheckEnv } from './check-helpers.js'
import { UNKNOWN_FIELD } from './dialect-fixtures.js'
import type { ProviderCheck } from './provider-check.js'

const FORWARD_REPLY = 'Forwarded hello from the fake.'

async function forward(env: CheckEnv, stream: boolean) {
  const fixture = requireFixture(env)
  return within(
    env.provider.doForward(
      { operation: fixture.forwardOperation, body: fixture.forwardBody(env.model, 'hi', stream), stream },
      env.context(),
    ),
    'doForward',
  )
}

/** One doChat and one JSON doForward (those not skipped), so traffic checks have calls to inspect. */
async function exerciseProvider(env: CheckEnv): Promise<void> {
  if (env.supports('chat')) {
    env.upstream.script({ reply: 'ok' })
    await within(env.provider.doChat(chatRequest(env.model), env.context()), 'doChat')
  }
  if (env.fixture && env.supports('forward')) {
    env.upstream.script({ reply: 'ok' })
    const response = await forward(env, false)
    await within(response.text(), 'UpstreamResponse.text()')
  }
}

export const contractChecks: ProviderCheck[] = [
  {
    name: "declares specificationVersion 'mesh.provider.v1', an id, a dialect and capabilities",
    run({ provider }) {
      expect(provider.specificationVersion).toBe('mesh.provider.v1')
      expect(typeof provider.id === 'string' && provider.id.length > 0, 'provider.id must be a non-empty string').toBe(true)
      expect(['openai.chat', 'anthropic.messages', 'google.generate', 'bedrock.converse']).toContain(provider.dialect)
      expect(Array.isArray(provider.capabilities), 'provider.capabilities must be an array').toBe(true)
      expect(Array.isArray(provider.keys), 'provider.keys must be an array').toBe(true)
      expect(typeof provider.classifyError).toBe('function')
    },
  },
  {
    name: 'has a JSON-serialisable descriptor naming its package and factory',
    run({ provider }) {
      const { descriptor } = provider
      expect(typeof descriptor?.package).toBe('string')
      expect(typeof descriptor?.factory).toBe('string')
      const json = JSON.stringify(descriptor)
      expect(JSON.parse(json), 'descriptor must survive JSON.stringify/parse unchanged').toEqual(descriptor)
    },
  },
  {
    name: "uses the fake upstream's origin as its baseURL",
    run({ provider, upstream }) {
      expect(new URL(provider.baseURL).origin).toBe(new URL(upstream.url).origin)
    },
  },
]

export const forwardChecks: ProviderCheck[] = [
  {
    name: 'doForward (JSON) returns status 200 and the upstream body, passing unknown fields through',
    feature: 'forward',
    async run(env) {
      env.upstream.script({ reply: FORWARD_REPLY })
      const response = await forward(env, false)
      expect(response.status).toBe(200)
      const text = await within(response.text(), 'UpstreamResponse.text()')
      expect(requireFixture(env).textOfAnswer(JSON.parse(text))).toBe(FORWARD_REPLY)
      const call = env.upstream.calls.at(-1)
      expect(call?.path, 'doForward must call the operation below baseURL').toBe(chatPathOf(env))
      expect((call?.body as Record<string, unknown>)?.[UNKNOWN_FIELD], 'unknown body fields must survive doForward').toBe('kept')
    },
  },
  {
    name: 'doForward (stream) yields the SSE bytes as they come, ending with the end-of-stream event',
    feature: 'forward',
    async run(env) {
      const fixture = requireFixture(env)
      env.upstream.script({ reply: FORWARD_REPLY, chunkSize: 4 })
      const response = await forward(env, true)
      expect(response.status).toBe(200)
      expect(response.headers['content-type'] ?? '').toContain('text/event-stream')
      const raw = await collectText(response.body)
      const events: string[] = []
      const parser = createParser({ onEvent: (event) => events.push(event.data) })
      parser.feed(raw)
      expect(events.length, 'expected several SSE events').toBeGreaterThan(2)
      expect(fixture.isDoneEvent(events.at(-1) ?? ''), `last event must end the stream, got: ${events.at(-1)}`).toBe(true)
      expect(events.map((data) => fixture.textOfEvent(data) ?? '').join('')).toBe(FORWARD_REPLY)
    },
  },
  {
    name: 'doForward returns an upstream 500 as a response (status 500) instead of throwing',
    feature: 'forward',
    async run(env) {
      env.upstream.script({ status: 500 })
      const response = await forward(env, false)
      expect(response.status).toBe(500)
      const body = JSON.parse(await within(response.text(), 'UpstreamResponse.text()')) as { error?: { message?: unknown } }
      expect(typeof body.error?.message).toBe('string')
    },
  },
]

export const trafficChecks: ProviderCheck[] = [
  {
    name: 'sends ctx.apiKey upstream as its credential header',
    async run(env) {
      await exerciseProvider(env)
      expect(env.upstream.calls.length).toBeGreaterThan(0)
      for (const call of env.upstream.calls) {
        expect(call.headers[env.authHeader.name], `${call.method} ${call.path} lacks the credential header`).toBe(
          env.authHeader.value(env.apiKey ?? TEST_API_KEY),
        )
      }
    },
  },
  {
    name: 'never calls a host other than its baseURL',
    async run(env) {
      await exerciseProvider(env)
      const expected = new URL(env.upstream.url).origin
      const origins = env.hostGuard.origins.map((origin) => new URL(origin).origin)
      expect(origins.length, 'no outgoing request was observed through fetch/undici/node:http').toBeGreaterThan(0)
      expect([...new Set(origins)]).toEqual([expected])
      const basePath = new URL(env.upstream.baseURL).pathname.replace(/\/$/, '')
      for (const call of env.upstream.calls) expect(call.path.startsWith(`${basePath}/`), `${call.path} is outside baseURL`).toBe(true)
    },
  },
]
