import { anthropicMessagesPassthrough } from '../../engine/passthrough/anthropic-messages.js'
import type { IngressDialect } from '../ingress-dialect.js'
import { toAnthropicError } from './error.js'
import { parseAnthropicMessagesRequest } from './parse-request.js'
import { anthropicToCanonical } from './request-to-canonical.js'
import { canonicalToAnthropicResponse } from './response.js'
import { createAnthropicEventEncoder } from './stream-encoder.js'

/** Anthropic Messages as spoken by clients on `/v1/messages`. */
export const anthropicMessagesIngress: IngressDialect = {
  name: 'anthropic.messages',
  parseRequest: parseAnthropicMessagesRequest,
  passthrough: anthropicMessagesPassthrough,
  toCanonical: (body, upstreamModel) => anthropicToCanonical(body, upstreamModel),
  fromCanonicalResponse: (response, publicModel) => canonicalToAnthropicResponse(response, publicModel),
  createStreamEncoder: (publicModel, requestId) => createAnthropicEventEncoder(publicModel, `msg_${requestId.slice(4)}`),
  errorBody: toAnthropicError,
  errorEvent: (error) => anthropicMessagesPassthrough.errorEvent(error),
}
