import { Type, type Static } from '@sinclair/typebox'

export const UnifiedFinishReason = Type.Union([
  Type.Literal('stop'),
  Type.Literal('length'),
  Type.Literal('tool-calls'),
  Type.Literal('content-filter'),
  Type.Literal('error'),
  Type.Literal('other'),
])
export type UnifiedFinishReason = Static<typeof UnifiedFinishReason>

/** Why generation stopped: the normalised reason and the provider's own word for it. */
export const FinishReason = Type.Object({
  unified: UnifiedFinishReason,
  raw: Type.Optional(Type.String()),
})
export type FinishReason = Static<typeof FinishReason>
