import { answerChat } from './answer-chat.js'
import { answerModels, DEFAULT_MODELS, normaliseModels } from './answer-models.js'
import { randomId } from '../fake-shared/answer-plan.js'
import { startFakeServer, type FakeDialect } from '../fake-shared/fake-server.js'
import { defaultErrorBody, invalidApiKeyError, openAIError } from './openai-errors.js'
import type { FakeOpenAIOptions, FakeUpstream } from './types.js'

/**
 * Starts a fake OpenAI-compatible upstream on 127.0.0.1 (an ephemeral port unless `port` is given).
 * It serves `POST /v1/chat/completions` (JSON and SSE, shaped like OpenAI's) and `GET /v1/models`,
 * records every call, and answers each request with the next scripted {@link Behavior}.
 *
 * @example
 * const fake = await startFakeOpenAI()
 * fake.script({ reply: 'Hello' }, { status: 429, retryAfter: 1 })
 * // … point a client at fake.baseURL …
 * await fake.close()
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  const models = normaliseModels(options.models ?? DEFAULT_MODELS)
  const dialect: FakeDialect = {
    name: 'OpenAI',
    basePath: '/v1',
    baseHeaders: () => ({ 'x-request-id': randomId('req_', 32) }),
    errorBody: (status, message) => {
      if (message === undefined) return defaultErrorBody(status)
      return openAIError(message, status >= 500 ? 'server_error' : 'invalid_request_error')
    },
    rejectCredential(call, accepted) {
      const key = /^Bearer\s+(.+)$/i.exec(call.headers.authorization ?? '')?.[1]
      return key && accepted.has(key) ? undefined : { status: 401, body: invalidApiKeyError(key) }
    },
    route(call) {
      const path = call.path.length > 1 ? call.path.replace(/\/+$/, '') : call.path
      if (call.method === 'POST' && path === '/v1/chat/completions') return answerChat
      if (call.method === 'GET' && path === '/v1/models') return (res, behavior, _call, headers) => answerModels(res, models, undefined, behavior.status ?? 200, headers)
      const single = /^\/v1\/models\/(.+)$/.exec(path)
      if (call.method === 'GET' && single?.[1]) {
        const id = decodeURIComponent(single[1])
        return (res, behavior, _call, headers) => answerModels(res, models, id, behavior.status ?? 200, headers)
      }
      return undefined
    },
  }
  return startFakeServer(dialect, options)
}
