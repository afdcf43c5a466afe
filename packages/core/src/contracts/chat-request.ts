import { Type, type Static } from '@sinclair/typebox'
import { ChatMessage } from './chat-message.js'
import { ProviderOptions } from './provider-options.js'

export const ToolDefinition = Type.Object({
  type: Type.Literal('function'),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  parameters: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the arguments' }),
  strict: Type.Optional(Type.Boolean()),
})
export type ToolDefinition = Static<typeof ToolDefinition>

export const ToolChoice = Type.Union([
  Type.Object({ type: Type.Literal('auto') }),
  Type.Object({ type: Type.Literal('none') }),
  Type.Object({ type: Type.Literal('required') }),
  Type.Object({ type: Type.Literal('tool'), name: Type.String() }),
])
export type ToolChoice = Static<typeof ToolChoice>

export const ResponseFormat = Type.Union([
  Type.Object({ type: Type.Literal('text') }),
  Type.Object({ type: Type.Literal('json') }),
  Type.Object({
    type: Type.Literal('json-schema'),
    name: Type.Optional(Type.String()),
    schema: Type.Record(Type.String(), Type.Unknown()),
    strict: Type.Optional(Type.Boolean()),
  }),
])
export type ResponseFormat = Static<typeof ResponseFormat>

/** The provider-neutral chat request every dialect maps to and from. */
export const ChatRequest = Type.Object({
  specificationVersion: Type.Literal('mesh.chat.v1'),
  /** Upstream model id (after routing). */
  model: Type.String(),
  messages: Type.Array(ChatMessage),
  tools: Type.Optional(Type.Array(ToolDefinition)),
  toolChoice: Type.Optional(ToolChoice),
  parallelToolCalls: Type.Optional(Type.Boolean()),
  responseFormat: Type.Optional(ResponseFormat),
  maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  temperature: Type.Optional(Type.Number()),
  topP: Type.Optional(Type.Number()),
  topK: Type.Optional(Type.Integer()),
  stopSequences: Type.Optional(Type.Array(Type.String())),
  seed: Type.Optional(Type.Integer()),
  presencePenalty: Type.Optional(Type.Number()),
  frequencyPenalty: Type.Optional(Type.Number()),
  reasoning: Type.Optional(
    Type.Object({
      effort: Type.Optional(Type.Union([Type.Literal('minimal'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')])),
      budgetTokens: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
  user: Type.Optional(Type.String()),
  providerOptions: Type.Optional(ProviderOptions),
})
export type ChatRequest = Static<typeof ChatRequest>
