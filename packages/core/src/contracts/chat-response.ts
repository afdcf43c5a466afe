import { Type, type Static } from '@sinclair/typebox'
import { ReasoningPart, TextPart, ToolCallPart } from './chat-message.js'
import { FinishReason } from './finish-reason.js'
import { ProviderMetadata } from './provider-options.js'
import { Usage } from './usage.js'

/** The provider-neutral answer to a {@link ChatRequest}. */
export const ChatResponse = Type.Object({
  id: Type.String(),
  model: Type.String(),
  created: Type.Optional(Type.Integer()),
  content: Type.Array(Type.Union([TextPart, ReasoningPart, ToolCallPart])),
  finishReason: FinishReason,
  usage: Usage,
  providerMetadata: Type.Optional(ProviderMetadata),
})
export type ChatResponse = Static<typeof ChatResponse>
