export { openAIChatRequestSchema, OpenAIChatMessage, type OpenAIChatRequest } from './schema.js'
export { openAIToCanonical } from './request-to-canonical.js'
export { canonicalToOpenAI, type CanonicalToOpenAIOptions } from './canonical-to-request.js'
export { openAIResponseToCanonical, canonicalToOpenAIResponse, type CanonicalToOpenAIResponseOptions } from './response.js'
export { openAIChunksToParts, openAIStreamToParts, type OpenAIChunkDecoder } from './stream-decoder.js'
export { createOpenAIChunkEncoder, type OpenAIChunkEncoder, type OpenAIChunkEncoderOptions } from './stream-encoder.js'
export { toOpenAIError } from './error.js'
export {
  openAIUsageToCanonical,
  canonicalUsageToOpenAI,
  openAIFinishReasonToCanonical,
  canonicalFinishReasonToOpenAI,
} from './mapping.js'
export type {
  OpenAIChatCompletion,
  OpenAIChatCompletionChunk,
  OpenAIChunkToolCall,
  OpenAIErrorBody,
  OpenAIResponseMessage,
  OpenAIToolCall,
  OpenAIUsage,
} from './wire-types.js'
export { parseOpenAIChatRequest } from './parse-request.js'
export { openAIChatIngress } from './ingress.js'
