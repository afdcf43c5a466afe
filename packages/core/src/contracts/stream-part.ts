import { Type, type Static } from '@sinclair/typebox'
import { FinishReason } from './finish-reason.js'
import { ProviderMetadata } from './provider-options.js'
import { Usage } from './usage.js'

/** One flat tagged union for everything a streamed chat response can carry. */
export const StreamPart = Type.Union([
  Type.Object({ type: Type.Literal('start'), id: Type.String(), model: Type.String(), created: Type.Optional(Type.Integer()) }),
  Type.Object({ type: Type.Literal('text-delta'), delta: Type.String() }),
  Type.Object({ type: Type.Literal('reasoning-delta'), delta: Type.String(), signature: Type.Optional(Type.String()) }),
  Type.Object({
    type: Type.Literal('tool-call-delta'),
    index: Type.Integer({ minimum: 0 }),
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    argumentsDelta: Type.String(),
  }),
  Type.Object({ type: Type.Literal('usage'), usage: Usage }),
  Type.Object({ type: Type.Literal('finish'), finishReason: FinishReason, providerMetadata: Type.Optional(ProviderMetadata) }),
  Type.Object({
    type: Type.Literal('error'),
    message: Type.String(),
    code: Type.Optional(Type.String()),
    raw: Type.Optional(Type.Unknown()),
  }),
])
export type StreamPart = Static<typeof StreamPart>
