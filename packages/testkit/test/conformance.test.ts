import type { ProviderV1, StreamPart } from '@modelmesh/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { watchOutgoingRequests } from '../src/conformance/host-guard.js'
import { callContext, dialectFixtures, providerChecks, startFakeOpenAI, testProvider, type FakeUpstream } from '../src/index.js'
import { minimalOpenAIProvider } from './support/minimal-openai-provider.js'

// A correct provider passes the whole suite…
testProvider({ name: 'minimal openai.chat provider', create: ({ baseURL }) => minimalOpenAIProvider(baseURL) })

// …declared-unsupported features are skipped, with the reason in the test name…
testProvider({
  name: 'minimal provider without tools',
  create: ({ baseURL }) => minimalOpenAIProvider(baseURL),
  skip: { tools: 'this provider has no tool support', abort: 'covered above' },
})

// …and each kind of broken provider makes the matching check fail.
describe('the conformance checks fail on broken providers', () => {
  let upstream: FakeUpstream
  let elsewhere: FakeUpstream
  beforeAll(async () => {
    upstream = await startFakeOpenAI()
    elsewhere = await startFakeOpenAI()
  })
  afterAll(async () => {
    await upstream.close()
    await elsewhere.close()
  })
  beforeEach(() => upstream.reset())

  async function runCheck(name: string, provider: ProviderV1): Promise<void> {
    const check = providerChecks.find((candidate) => candidate.name.startsWith(name))
    if (!check) throw new Error(`no check named '${name}…'`)
    const hostGuard = watchOutgoingRequests()
    try {
      await check.run({
        provider,
        upstream,
        hostGuard,
        fixture: dialectFixtures['openai.chat'],
        model: 'gpt-4o-mini',
        authHeader: { name: 'authorization', value: (key) => `Bearer ${key}` },
        supports: () => true,
        context: callContext,
      })
    } finally {
      hostGuard.stop()
    }
  }
  const broken = (overrides: (base: ProviderV1) => Partial<ProviderV1>): ProviderV1 => {
    const base = minimalOpenAIProvider(upstream.baseURL)
    return { ...base, ...overrides(base) }
  }

  it('a descriptor holding a function', async () => {
    const provider = broken(() => ({ descriptor: { package: 'p', factory: 'f', options: { make: () => 1 } } }))
    await expect(runCheck('has a JSON-serialisable descriptor', provider)).rejects.toThrow(/descriptor must survive/)
  })

  it('doForward dropping unknown body fields', async () => {
    const provider = broken((base) => ({
      doForward: (request, ctx) =>
        base.doForward({ ...request, body: { model: request.body.model, messages: request.body.messages } }, ctx),
    }))
    await expect(runCheck('doForward (JSON)', provider)).rejects.toThrow(/unknown body fields must survive/)
  })

  it('doChat losing the usage', async () => {
    const provider = broken((base) => ({ doChat: async (request, ctx) => ({ ...(await base.doChat(request, ctx)), usage: {} }) }))
    await expect(runCheck('doChat returns the text', provider)).rejects.toThrow()
  })

  it('doStream buffering the whole text into one delta', async () => {
    const provider = broken((base) => ({
      async doStream(request, ctx) {
        const parts: StreamPart[] = []
        for await (const part of await base.doStream(request, ctx)) parts.push(part)
        const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.delta] : [])).join('')
        const rest = parts.filter((part) => part.type !== 'text-delta')
        return (async function* () {
          yield rest[0]!
          yield { type: 'text-delta', delta: text } as StreamPart
          yield* rest.slice(1)
        })()
      },
    }))
    await expect(runCheck('doStream yields start', provider)).rejects.toThrow(/several deltas/)
  })

  it('doStream ending silently when the upstream drops the connection', async () => {
    const provider = broken((base) => ({
      async doStream(request, ctx) {
        const source = await base.doStream(request, ctx)
        return (async function* () {
          for await (const part of source) if (part.type !== 'error') yield part
        })()
      },
    }))
    await expect(runCheck('doStream reports a dropped upstream connection', provider)).rejects.toThrow(/must end with an 'error' part/)
  })

  it('doChat ignoring ctx.signal', async () => {
    const provider = broken((base) => ({
      doChat: (request, ctx) => base.doChat(request, { ...ctx, signal: new AbortController().signal }),
    }))
    await expect(runCheck('doChat stops waiting when ctx.signal aborts', provider)).rejects.toThrow(/did not settle/)
  })

  it('classifyError without retryAfterMs', async () => {
    const provider = broken((base) => ({
      classifyError: (failure) => {
        const { retryAfterMs: _dropped, ...rest } = base.classifyError(failure)
        return rest
      },
    }))
    await expect(runCheck('classifyError: 429', provider)).rejects.toThrow()
  })

  it('classifyError treating a connection reset as the request’s fault', async () => {
    const provider = broken(() => ({ classifyError: () => ({ retryable: false, scope: 'request', reason: 'x' }) }))
    await expect(runCheck('classifyError: a connection reset', provider)).rejects.toThrow()
  })

  it('a credential sent in the wrong header', async () => {
    const provider = broken((base) => ({ doChat: (request, ctx) => base.doChat(request, { ...ctx, apiKey: 'other-key' }) }))
    await expect(runCheck('sends ctx.apiKey upstream', provider)).rejects.toThrow(/lacks the credential header/)
  })

  it('a provider that also calls another host', async () => {
    const provider = broken((base) => ({
      async doChat(request, ctx) {
        await fetch(`${elsewhere.baseURL}/models`)
        return base.doChat(request, ctx)
      },
    }))
    await expect(runCheck('never calls a host other than its baseURL', provider)).rejects.toThrow()
  })
})
