import { generateKeyPairSync } from 'node:crypto'
import { closeUpstreamClients, type ProviderCallContext } from '@modelmesh/core'
import { fakeAccessToken, startFakeGoogle, type FakeGoogleUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AccessTokens, classifyGoogleError, google, serviceAccountAssertion, vertex, vertexBaseURL } from '../src/index.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const EMAIL = 'sa@proj.iam.gserviceaccount.com'
let fake: FakeGoogleUpstream
beforeAll(async () => {
  fake = await startFakeGoogle({ vertex: true, serviceAccountKeys: { [EMAIL]: publicKey.export({ type: 'spki', format: 'pem' }) as string }, tokenLifetimeSeconds: 120 })
})
afterAll(async () => {
  await fake.close()
  await closeUpstreamClients()
})
beforeEach(() => {
  fake.reset()
  fake.tokenCalls.length = 0
})

const account = (extra: Record<string, unknown> = {}) => JSON.stringify({ client_email: EMAIL, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), token_uri: fake.tokenURL, ...extra })
const ctx = (apiKey: string): ProviderCallContext => ({ deployment: { id: 'vertex/g#0', provider: 'vertex', model: 'gemini-2.5-flash', keyIndex: 0 }, apiKey, signal: new AbortController().signal, requestId: 'req_1' })
const request = { specificationVersion: 'mesh.chat.v1' as const, model: 'gemini-2.5-flash', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] }

describe('vertex provider: service-account auth', () => {
  it('signs an RS256 assertion the token endpoint verifies, and caches the token until shortly before expiry', async () => {
    let now = Date.now()
    const tokens = new AccessTokens(undefined, () => now)
    const key = account()
    expect(await tokens.get(key, new AbortController().signal)).toBe(fakeAccessToken(EMAIL))
    now += 30_000
    await tokens.get(key, new AbortController().signal)
    expect(fake.tokenCalls).toHaveLength(1)
    // 120 s lifetime, refreshed a minute early: at +61 s a new token is fetched.
    now += 31_000
    await tokens.get(key, new AbortController().signal)
    expect(fake.tokenCalls).toHaveLength(2)
  })

  it('shares one token fetch among concurrent calls and sends the token as a bearer', async () => {
    const provider = vertex({ project: 'fake-project', location: 'us-central1', baseURL: fake.baseURL, serviceAccount: JSON.parse(account()) })
    fake.setDefault({ reply: 'ok' })
    const key = provider.keys[0] as string
    await Promise.all([1, 2, 3].map(() => provider.doChat(request, ctx(key))))
    expect(fake.tokenCalls).toHaveLength(1)
    expect(fake.calls.map((c) => c.headers.authorization)).toEqual(Array(3).fill(`Bearer ${fakeAccessToken(EMAIL)}`))
    expect(fake.calls[0]!.path).toBe('/v1/projects/fake-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent')
  })

  it('a token endpoint that refuses the assertion is a key failure naming the account', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' })
    const provider = vertex({ project: 'p', location: 'us-central1', baseURL: fake.baseURL, serviceAccount: account({ private_key: other }) })
    const error = await provider.doChat(request, ctx(provider.keys[0] as string)).catch((e: unknown) => e)
    expect(String(error)).toContain(EMAIL)
    expect((error as { classification: { scope: string } }).classification.scope).toBe('key')
    expect(fake.calls).toHaveLength(0)
  })

  it('builds the claims Google expects and the regional or global base URL', () => {
    const jwt = serviceAccountAssertion(JSON.parse(account({ private_key_id: 'kid1' })), 'https://oauth2.googleapis.com/token', 1_800_000_000_000)
    const [header, claims] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()))
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid1' })
    expect(claims).toEqual({ iss: EMAIL, sub: EMAIL, aud: 'https://oauth2.googleapis.com/token', scope: 'https://www.googleapis.com/auth/cloud-platform', iat: 1_800_000_000, exp: 1_800_003_600 })
    expect(vertexBaseURL('p', 'europe-west4')).toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google')
    expect(vertexBaseURL('p', 'global')).toBe('https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google')
    expect(() => vertex({ project: 'Bad Project', location: 'us-central1', serviceAccount: 'x' })).toThrow(/project/)
  })
})

describe('google provider (Gemini API)', () => {
  it('switches a forwarded generateContent to streamGenerateContent?alt=sse when streaming, model in the URL', async () => {
    const gemini = await startFakeGoogle()
    try {
      gemini.script({ reply: 'streamed', chunkSize: 3 })
      const response = await google({ baseURL: gemini.baseURL, keys: ['k'] }).doForward({ operation: 'generateContent', body: { model: 'gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'x' }] }] }, stream: true }, ctx('k'))
      await response.text()
      expect(gemini.calls.at(-1)).toMatchObject({ url: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', headers: { 'x-goog-api-key': 'k' } })
      expect((gemini.calls.at(-1)!.body as Record<string, unknown>).model).toBeUndefined()
      await expect(google({ baseURL: gemini.baseURL }).doChat({ ...request, model: '../../admin' }, ctx('k'))).rejects.toThrow(/not a model id/)
    } finally {
      await gemini.close()
    }
  })

  it('classifies Google’s errors: API_KEY_INVALID is the key’s, RetryInfo sets the wait', () => {
    const body = (details: unknown[]) => JSON.stringify({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'x', details } })
    expect(classifyGoogleError({ status: 400, body: body([{ reason: 'API_KEY_INVALID' }]) })).toMatchObject({ scope: 'key', reason: 'api_key_invalid' })
    expect(classifyGoogleError({ status: 400, body: body([]) })).toMatchObject({ scope: 'request', retryable: false })
    expect(classifyGoogleError({ status: 429, body: body([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }]) })).toMatchObject({ scope: 'rate-limit', retryAfterMs: 7000 })
  })
})
