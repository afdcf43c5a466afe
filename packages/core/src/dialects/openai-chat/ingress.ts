import { openAIChatPassthrough } from '../../engine/passthrough/openai-chat.js'
import { parseOpenAIChatRequest } from './parse-request.js'
import type { IngressDialect } from '../ingress-dialect.js'
import { toOpenAIError } from './error.js'
import { openAIToCanonical } from './request-to-canonical.js'
import { canonicalToOpenAIResponse } from './response.js'
import { createOpenAIChunkEncoder } from './stream-encoder.js'

/** OpenAI Chat Completions as spoken by clients on `/v1/chat/completions`. */
export const openAIChatIngress: IngressDialect = {
  name: 'openai.chat',
  parseRequest: parseOpenAIChatRequest,
  passthrough: openAIChatPassthrough,
  toCanonical: (body, upstreamModel) => openAIToCanonical(body, upstreamModel),
  fromCanonicalResponse: (response, publicModel) => canonicalToOpenAIResponse(response, publicModel),
  createStreamEncoder(publicModel, requestId, body) {
    return createOpenAIChunkEncoder(publicModel, `chatcmpl-${requestId.slice(4)}`, Math.floor(Date.now() / 1000), {
      includeUsage: openAIChatPassthrough.clientWantsUsage(body),
    })
  },
  errorBody: toOpenAIError,
  errorEvent: (error) => openAIChatPassthrough.errorEvent(error),
}
