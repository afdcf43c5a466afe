import { asRecord, randomId } from '../fake-shared/answer-plan.js'
import { writeEventStream } from '../fake-shared/event-stream.js'
import { startFakeServer, type FakeDialect, type RouteHandler } from '../fake-shared/fake-server.js'
import { sendJson } from '../fake-shared/http-io.js'
import type { BehaviorInput, FakeUpstream, RecordedCall } from '../fake-shared/types.js'
import { planGenerateAnswer, responseChunks, responseObject } from './generate-answer.js'
import { defaultGoogleErrorBody, googleError, invalidGoogleApiKey } from './google-errors.js'
import { answerToken } from './token-endpoint.js'

/** Options of {@link startFakeGoogle}. */
export interface FakeGoogleOptions {
  port?: number
  /** Models listed by `GET /v1beta/models`; default `gemini-2.5-flash`, `gemini-2.5-pro`. */
  models?: string[]
  /** When given, Gemini API calls must carry `x-goog-api-key` (or `?key=`) with one of these. */
  apiKeys?: string[]
  defaultBehavior?: BehaviorInput
  /** Service-account email → PEM public key: token requests from these accounts must be signed by them. */
  serviceAccountKeys?: Record<string, string>
  /** `expires_in` of issued access tokens; default 3599 s. */
  tokenLifetimeSeconds?: number
  /** Make `baseURL` the Vertex AI one (`vertexBaseURL`) rather than the Gemini API's `<url>/v1beta`. */
  vertex?: boolean
}

/** A running fake Google upstream, with the OAuth side of Vertex AI. */
export interface FakeGoogleUpstream extends FakeUpstream {
  /** Base URL for `vertex({ baseURL })`: `<url>/v1/projects/fake-project/locations/us-central1/publishers/google`. */
  readonly vertexBaseURL: string
  /** The OAuth token endpoint (`<url>/token`), for a service account's `token_uri`. */
  readonly tokenURL: string
  /** Token requests received, in order (they consume no scripted behavior). */
  readonly tokenCalls: RecordedCall[]
}

const DEFAULT_CHUNK_SIZE = 5
const MALFORMED_CHUNK = 'data: {not json\r\n\r\n'
const MALFORMED_BODY = '{"candidates":[{"content":{'
const GENERATE = /^\/(?:v1beta|v1|v1beta1)\/(?:projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/)?models\/([^/:]+):(generateContent|streamGenerateContent)$/

/**
 * Starts a fake Gemini upstream on 127.0.0.1 serving both URL families: the Gemini API
 * (`/v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`, key in
 * `x-goog-api-key`) and Vertex AI (`/v1/projects/{p}/locations/{l}/publishers/google/models/…`,
 * `Authorization: Bearer` with a token from its own `POST /token` JWT-bearer endpoint). Errors are
 * `{ error: { code, message, status } }`; scripted {@link Behavior}s work as with the other fakes
 * (`finishReason` in Gemini's words: `STOP`, `MAX_TOKENS`, `SAFETY`, …).
 */
export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogleUpstream> {
  const models = options.models ?? ['gemini-2.5-flash', 'gemini-2.5-pro']
  const issued = new Set<string>()
  const tokenCalls: RecordedCall[] = []
  let tokenURL = ''

  const answerGenerate: RouteHandler = async (res, behavior, call, headers, signal) => {
    const match = GENERATE.exec(call.path)!
    if (call.path.includes('/projects/')) {
      const bearer = /^Bearer\s+(.+)$/i.exec(call.headers.authorization ?? '')?.[1]
      if (!bearer || !issued.has(bearer)) return sendJson(res, 401, defaultGoogleErrorBody(401), headers)
    }
    if (call.body === undefined) return sendJson(res, 400, googleError(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT'), headers)
    const body = asRecord(call.body)
    if (!Array.isArray(body.contents) || body.contents.length === 0) return sendJson(res, 400, googleError(400, '* GenerateContentRequest.contents: contents is not specified', 'INVALID_ARGUMENT'), headers)
    const status = behavior.status ?? 200
    const answer = planGenerateAnswer(behavior, call, decodeURIComponent(match[1]!))
    if (match[2] === 'streamGenerateContent') {
      if (!/[?&]alt=sse(&|$)/.test(call.url)) return sendJson(res, 400, googleError(400, 'This fake serves streams as SSE only: add ?alt=sse.', 'INVALID_ARGUMENT'), headers)
      return writeEventStream(res, responseChunks(answer, behavior.chunkSize ?? DEFAULT_CHUNK_SIZE), behavior, status, headers, signal, MALFORMED_CHUNK)
    }
    if (behavior.malformed) return sendJson(res, status, MALFORMED_BODY, headers)
    sendJson(res, status, responseObject(answer), headers)
  }

  const dialect: FakeDialect = {
    name: 'Google',
    basePath: '/v1beta',
    baseHeaders: () => ({ 'x-goog-request-id': randomId('', 16) }),
    errorBody: (status, message) => defaultGoogleErrorBody(status, message),
    unscripted(call) {
      if (call.method !== 'POST' || call.path !== '/token') return undefined
      return (res, request) => {
        tokenCalls.push(request)
        answerToken(res, request, tokenURL, options.serviceAccountKeys ?? {}, options.tokenLifetimeSeconds ?? 3599, issued)
      }
    },
    rejectCredential(call, accepted) {
      if (call.path.includes('/projects/')) return undefined
      const key = call.headers['x-goog-api-key'] ?? new URL(call.url, 'http://fake').searchParams.get('key') ?? undefined
      if (!key) return { status: 403, body: googleError(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.', 'PERMISSION_DENIED') }
      return accepted.has(key) ? undefined : { status: 400, body: invalidGoogleApiKey() }
    },
    route(call) {
      if (call.method === 'POST' && GENERATE.test(call.path)) return answerGenerate
      if (call.method === 'GET' && call.path.replace(/\/+$/, '') === '/v1beta/models') {
        return (res, behavior, _call, headers) =>
          sendJson(res, behavior.status ?? 200, { models: models.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent', 'countTokens'] })) }, headers)
      }
      return undefined
    },
  }
  const upstream = await startFakeServer(dialect, options)
  tokenURL = `${upstream.url}/token`
  const vertexBaseURL = `${upstream.url}/v1/projects/fake-project/locations/us-central1/publishers/google`
  return Object.assign(upstream, { vertexBaseURL, tokenURL, tokenCalls, ...(options.vertex && { baseURL: vertexBaseURL }) })
}
