import type { ProviderV1 } from '@modelmesh/core'
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest'
import { startFakeOpenAI } from '../fake-openai/server.js'
import type { FakeOpenAIOptions, FakeUpstream } from '../fake-openai/types.js'
import { callContext, TEST_API_KEY, type AuthHeader, type CheckEnv } from './check-helpers.js'
import { chatChecks, streamChecks } from './checks-canonical.js'
import { classifyErrorChecks } from './checks-errors.js'
import { contractChecks, forwardChecks, trafficChecks } from './checks-wire.js'
import { dialectFixtures, type DialectFixture } from './dialect-fixtures.js'
import { watchOutgoingRequests, type HostGuard } from './host-guard.js'
import type { ProviderCheck, ProviderFeature } from './provider-check.js'

/** Where the suite's fake upstream listens; what `create` receives. */
export interface UpstreamAddress {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:40123/v1`. */
  readonly baseURL: string
}

/** Options of {@link testProvider}. */
export interface TestProviderOptions<UpstreamOptions = FakeOpenAIOptions> {
  /** Names the `describe` block: `provider conformance: <name>`. */
  name: string
  /** Builds the provider under test, pointed at the fake upstream (use `baseURL`, any API key). */
  create(upstream: UpstreamAddress): ProviderV1 | Promise<ProviderV1>
  /** Options for the fake upstream (for the OpenAI fake: models, port, …). */
  upstream?: UpstreamOptions
  /**
   * Starts the fake upstream of the provider's dialect. Default {@link startFakeOpenAI}
   * (`openai.chat`); fakes of other dialects plug in here.
   */
  startUpstream?: (options?: UpstreamOptions) => Promise<FakeUpstream>
  /** Upstream model id used in every request; default `gpt-4o-mini`. */
  model?: string
  /**
   * The credential in every call context; default `test-key`. A provider whose credential is
   * structured (a service-account JSON, …) passes a valid one here.
   */
  apiKey?: string
  /** How the provider sends `ctx.apiKey`; default `Authorization: Bearer <key>`. */
  authHeader?: AuthHeader
  /** Wire knowledge for `doForward` checks; default the built-in fixture of the provider's dialect. */
  fixture?: DialectFixture
  /** Features the provider does not support, each with the reason shown in the skipped test's name. */
  skip?: Partial<Record<ProviderFeature, string>>
}

/** Every check of the suite, in the order `testProvider` runs them (the host check last). */
export const providerChecks: readonly ProviderCheck[] = [
  ...contractChecks,
  ...forwardChecks,
  ...chatChecks,
  ...streamChecks,
  ...classifyErrorChecks,
  ...trafficChecks,
]

const BEARER: AuthHeader = { name: 'authorization', value: (apiKey) => `Bearer ${apiKey}` }

/**
 * Registers the provider conformance suite with vitest: one `describe` with one `it` per check.
 * Call it at the top level of a test file:
 *
 * @example
 * import { testProvider } from '@modelmesh/testkit'
 * import { openai } from '../src/index.js'
 *
 * testProvider({ name: 'openai', create: ({ baseURL }) => openai({ baseURL, apiKey: 'unused' }) })
 *
 * The suite starts its own fake upstream (on 127.0.0.1, ephemeral port) before the checks and
 * closes it, and the provider (`close()`), afterwards. Each check scripts the fake, calls the
 * provider with `ctx = { deployment: { id: 'p/m#0', … }, apiKey: 'test-key', requestId: 'req_test' }`
 * and asserts on the result and on what the fake recorded. It covers: the contract's literals and
 * descriptor, `doForward` (JSON, SSE, upstream errors), `doChat` and `doStream` (text, tool calls,
 * usage, finish reasons, a dropped stream, abort), `classifyError` (429/401/400/5xx/connection
 * errors/timeouts), the credential header, and that no host other than the upstream is called.
 */
export function testProvider<UpstreamOptions = FakeOpenAIOptions>(options: TestProviderOptions<UpstreamOptions>): void {
  const start = options.startUpstream ?? (startFakeOpenAI as unknown as (options?: UpstreamOptions) => Promise<FakeUpstream>)
  const skip = options.skip ?? {}
  let upstream: FakeUpstream | undefined
  let provider: ProviderV1 | undefined
  let hostGuard: HostGuard | undefined

  describe(`provider conformance: ${options.name}`, () => {
    beforeAll(async () => {
      upstream = await start(options.upstream)
      hostGuard = watchOutgoingRequests()
      provider = await options.create({ url: upstream.url, baseURL: upstream.baseURL })
    })
    beforeEach(() => upstream?.reset())
    afterAll(async () => {
      hostGuard?.stop()
      await provider?.close?.()
      await upstream?.close()
    })

    const env = (): CheckEnv => {
      if (!provider || !upstream || !hostGuard) throw new Error('testProvider: the suite did not start (see the beforeAll error)')
      return {
        provider,
        upstream,
        hostGuard,
        fixture: options.fixture ?? dialectFixtures[provider.dialect],
        model: options.model ?? 'gpt-4o-mini',
        apiKey: options.apiKey ?? TEST_API_KEY,
        authHeader: options.authHeader ?? BEARER,
        supports: (feature) => skip[feature] === undefined,
        context: (signal) => callContext(signal, options.apiKey ?? TEST_API_KEY),
      }
    }

    for (const check of providerChecks) {
      const reason = check.feature ? skip[check.feature] : undefined
      if (reason !== undefined) it.skip(`${check.name} (skipped: ${reason})`, () => {})
      else it(check.name, () => check.run(env()))
    }
  })
}
