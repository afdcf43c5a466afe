import type { ServerResponse } from 'node:http'
import { asRecord, completionObject, planChatAnswer, streamChunks } from './chat-answer.js'
import { writeEventStream } from '../fake-shared/event-stream.js'
import { destroyConnection, sendJson, write } from '../fake-shared/http-io.js'
import { openAIError } from './openai-errors.js'
import type { Behavior, RecordedCall } from './types.js'

const DEFAULT_CHUNK_SIZE = 5
const MALFORMED_CHUNK = 'data: {not json\n\n'
const MALFORMED_BODY = '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{'

/** Answers `POST /v1/chat/completions` once transport-level faults and scripted errors are handled. */
export async function answerChat(
  res: ServerResponse,
  behavior: Behavior,
  call: RecordedCall,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const problem = validateChatBody(call)
  if (problem) {
    sendJson(res, 400, problem, headers)
    return
  }
  const body = asRecord(call.body)
  const status = behavior.status ?? 200
  if (body.stream === true) {
    await answerStream(res, behavior, call, status, headers, signal)
    return
  }
  if (behavior.malformed) {
    sendJson(res, status, MALFORMED_BODY, headers)
    return
  }
  const text = JSON.stringify(completionObject(planChatAnswer(behavior, call)))
  if (behavior.disconnectAfterChunks !== undefined) {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
    await write(res, text.slice(0, Math.floor(text.length / 2)), signal)
    destroyConnection(res)
    return
  }
  sendJson(res, status, text, headers)
}

async function answerStream(
  res: ServerResponse,
  behavior: Behavior,
  call: RecordedCall,
  status: number,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const includeUsage = asRecord(asRecord(call.body).stream_options).include_usage === true
  const events = streamChunks(planChatAnswer(behavior, call), {
    includeUsage,
    chunkSize: behavior.chunkSize ?? DEFAULT_CHUNK_SIZE,
  }).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
  await writeEventStream(res, events, behavior, status, headers, signal, MALFORMED_CHUNK, ['data: [DONE]\n\n'])
}

/** The few checks OpenAI makes that a client bug would trip; answered like OpenAI does. */
function validateChatBody(call: RecordedCall): object | undefined {
  if (call.body === undefined) {
    return openAIError(
      'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
      'invalid_request_error',
    )
  }
  const body = asRecord(call.body)
  if (typeof body.model !== 'string' || body.model === '') {
    return openAIError('you must provide a model parameter', 'invalid_request_error')
  }
  if (!Array.isArray(body.messages)) {
    return openAIError("Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages')
  }
  return undefined
}
