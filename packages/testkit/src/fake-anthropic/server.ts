import type { ServerResponse } from 'node:http'
import { asRecord, contentText, estimateTokens, randomId } from '../fake-shared/answer-plan.js'
import { writeEventStream } from '../fake-shared/event-stream.js'
import { startFakeServer, type FakeDialect, type RouteHandler } from '../fake-shared/fake-server.js'
import { destroyConnection, sendJson, write } from '../fake-shared/http-io.js'
import type { Behavior, BehaviorInput, FakeUpstream, RecordedCall } from '../fake-shared/types.js'
import { anthropicError, defaultAnthropicErrorBody } from './anthropic-errors.js'
import { messageEvents, messageObject, planMessageAnswer } from './message-answer.js'

/** Options of {@link startFakeAnthropic}. */
export interface FakeAnthropicOptions {
  /** Port on 127.0.0.1; default 0 (an ephemeral port). */
  port?: number
  /** Models listed by `GET /v1/models`; default `claude-sonnet-4-5`, `claude-haiku-4-5`. */
  models?: string[]
  /**
   * When given, every request must carry one of these as `x-api-key` (or `Authorization: Bearer`),
   * otherwise 401 `authentication_error`.
   */
  apiKeys?: string[]
  /** The behavior used when the script queue is empty; default: echo the last user message. */
  defaultBehavior?: BehaviorInput
}

const DEFAULT_CHUNK_SIZE = 5
const MALFORMED_EVENT = 'event: content_block_delta\ndata: {not json\n\n'
const MALFORMED_BODY = '{"id":"msg_malformed","type":"message","content":[{'

/** The checks Anthropic makes that a client bug would trip, answered like Anthropic does. */
function validate(call: RecordedCall): string | undefined {
  if (!call.headers['anthropic-version']) return 'anthropic-version: header is required'
  if (call.body === undefined) return 'The request body is not valid JSON.'
  const body = asRecord(call.body)
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required'
  if (!Array.isArray(body.messages)) return 'messages: Field required'
  if (call.path.endsWith('/messages') && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens))) return 'max_tokens: Field required'
  return undefined
}

const answerMessages: RouteHandler = async (res, behavior, call, headers, signal) => {
  const problem = validate(call)
  if (problem) return sendJson(res, 400, anthropicError('invalid_request_error', problem), headers)
  const status = behavior.status ?? 200
  const answer = planMessageAnswer(behavior, call)
  if (asRecord(call.body).stream === true) {
    const events = messageEvents(answer, behavior.chunkSize ?? DEFAULT_CHUNK_SIZE)
    return writeEventStream(res, events, behavior, status, headers, signal, MALFORMED_EVENT)
  }
  if (behavior.malformed) return sendJson(res, status, MALFORMED_BODY, headers)
  const text = JSON.stringify(messageObject(answer))
  if (behavior.disconnectAfterChunks !== undefined) return halfThenCut(res, status, text, headers, signal)
  sendJson(res, status, text, headers)
}

async function halfThenCut(res: ServerResponse, status: number, text: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  await write(res, text.slice(0, Math.floor(text.length / 2)), signal)
  destroyConnection(res)
}

const answerCountTokens: RouteHandler = (res, behavior: Behavior, call, headers) => {
  const problem = validate(call)
  if (problem) return sendJson(res, 400, anthropicError('invalid_request_error', problem), headers)
  const body = asRecord(call.body)
  const messages = Array.isArray(body.messages) ? body.messages : []
  const text = messages.map((m) => contentText(asRecord(m).content)).join('\n') + (typeof body.system === 'string' ? body.system : '')
  sendJson(res, behavior.status ?? 200, { input_tokens: behavior.usage?.prompt_tokens ?? Math.max(1, estimateTokens(text)) }, headers)
}

/**
 * Starts a fake Anthropic Messages upstream on 127.0.0.1. It serves `POST /v1/messages` (JSON and
 * the named SSE event sequence), `POST /v1/messages/count_tokens` and `GET /v1/models`, answers
 * errors as `{ type: 'error', error: { type, message } }`, records every call, and takes the same
 * scripted {@link Behavior}s as the OpenAI fake (usage given in OpenAI's words is reported in
 * Anthropic's: `input_tokens` without cache reads/writes, `cache_read_input_tokens`,
 * `cache_creation_input_tokens`, `output_tokens_details.thinking_tokens`).
 */
export function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeUpstream> {
  const models = options.models ?? ['claude-sonnet-4-5', 'claude-haiku-4-5']
  const dialect: FakeDialect = {
    name: 'Anthropic',
    basePath: '/v1',
    baseHeaders: () => ({ 'request-id': randomId('req_01', 24) }),
    errorBody: (status, message) => defaultAnthropicErrorBody(status, message),
    rejectCredential(call, accepted) {
      // The API takes `x-api-key`; Anthropic's SDKs from 1.x send `Authorization: Bearer <key>` instead.
      const key = call.headers['x-api-key'] ?? /^Bearer\s+(.+)$/i.exec(call.headers.authorization ?? '')?.[1]
      return key && accepted.has(key) ? undefined : { status: 401, body: anthropicError('authentication_error', key ? 'invalid x-api-key' : 'x-api-key header is required') }
    },
    route(call) {
      const path = call.path.replace(/\/+$/, '')
      if (call.method === 'POST' && path === '/v1/messages') return answerMessages
      if (call.method === 'POST' && path === '/v1/messages/count_tokens') return answerCountTokens
      if (call.method === 'GET' && path === '/v1/models') {
        return (res, behavior, _call, headers) => {
          const data = models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' }))
          sendJson(res, behavior.status ?? 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }, headers)
        }
      }
      return undefined
    },
  }
  return startFakeServer(dialect, options)
}
