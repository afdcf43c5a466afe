import type { ChatRequest, ProviderCallContext, ProviderV1, StreamPart } from '@modelmesh/core'
import type { FakeUpstream } from '../fake-openai/types.js'
import type { DialectFixture } from './dialect-fixtures.js'
import type { HostGuard } from './host-guard.js'
import type { ProviderFeature } from './provider-check.js'

/** How the provider is expected to present its credential upstream. */
export interface AuthHeader {
  /** Lower-cased header name, e.g. `authorization` or `api-key`. */
  name: string
  /** The header value for a key, e.g. `Bearer ${key}`. */
  value(apiKey: string): string
}

/** Everything a conformance check receives. */
export interface CheckEnv {
  readonly provider: ProviderV1
  readonly upstream: FakeUpstream
  /** Undefined when the provider's dialect has no built-in fixture and none was passed. */
  readonly fixture: DialectFixture | undefined
  readonly model: string
  /** The credential every call context carries (`test-key` unless the suite was given another). */
  readonly apiKey?: string
  readonly authHeader: AuthHeader
  readonly hostGuard: HostGuard
  /** False for features the provider declared unsupported through `skip`. */
  supports(feature: ProviderFeature): boolean
  /** A fresh call context (`apiKey`: {@link CheckEnv.apiKey}), optionally bound to `signal`. */
  context(signal?: AbortSignal): ProviderCallContext
}

/** Upper bound for any single provider call in the suite, so a stuck provider fails with a clear message. */
export const CALL_BOUND_MS = 4_000

export const TEST_API_KEY = 'test-key'

export function callContext(signal: AbortSignal = new AbortController().signal, apiKey: string = TEST_API_KEY): ProviderCallContext {
  return {
    deployment: { id: 'p/m#0', provider: 'p', model: 'm', keyIndex: 0 },
    apiKey,
    signal,
    requestId: 'req_test',
  }
}

export function chatRequest(model: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    specificationVersion: 'mesh.chat.v1',
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    ...extra,
  }
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = CALL_BOUND_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Collects every part of a canonical stream (bounded in time and count). */
export async function collectParts(stream: AsyncIterable<StreamPart>, what = 'doStream'): Promise<StreamPart[]> {
  const parts: StreamPart[] = []
  const drain = async (): Promise<StreamPart[]> => {
    for await (const part of stream) {
      parts.push(part)
      if (parts.length > 10_000) throw new Error(`${what} yielded more than 10000 parts; is it looping?`)
    }
    return parts
  }
  return within(drain(), `${what} iteration`)
}

/** Reads a raw upstream body to the end as text (bounded in time). */
export async function collectText(body: AsyncIterable<Uint8Array>, what = 'doForward body'): Promise<string> {
  const decoder = new TextDecoder()
  const read = async (): Promise<string> => {
    let text = ''
    for await (const chunk of body) text += decoder.decode(chunk, { stream: true })
    return text + decoder.decode()
  }
  return within(read(), what)
}

/** Fails with a useful message when the dialect has no fixture. */
export function requireFixture(env: CheckEnv): DialectFixture {
  if (!env.fixture) {
    throw new Error(
      `testProvider: no wire fixture for dialect '${env.provider.dialect}'. Pass \`fixture\` to testProvider, ` +
        'or skip the forward checks with `skip: { forward: "reason" }`.',
    )
  }
  return env.fixture
}

/** The path of the fake's chat endpoint as the provider must call it. */
export function chatPathOf(env: CheckEnv): string {
  const fixture = requireFixture(env)
  return new URL(env.upstream.baseURL).pathname.replace(/\/$/, '') + (fixture.chatPathFor?.(env.model) ?? fixture.chatPath)
}
