import { Type, type Static } from '@sinclair/typebox'

/** Prices in USD per million tokens (or per unit where named). */
export const ModelPricing = Type.Object({
  input: Type.Optional(Type.Number({ minimum: 0 })),
  output: Type.Optional(Type.Number({ minimum: 0 })),
  cachedInput: Type.Optional(Type.Number({ minimum: 0 })),
  cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
  perRequest: Type.Optional(Type.Number({ minimum: 0 })),
})
export type ModelPricing = Static<typeof ModelPricing>

/** One entry of a provider's model catalogue. */
export const ModelInfo = Type.Object({
  id: Type.String(),
  capabilities: Type.Optional(Type.Array(Type.String())),
  contextWindow: Type.Optional(Type.Integer({ minimum: 1 })),
  maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  pricing: Type.Optional(ModelPricing),
  modalities: Type.Optional(Type.Object({ input: Type.Array(Type.String()), output: Type.Array(Type.String()) })),
  deprecated: Type.Optional(Type.Boolean()),
  zeroDataRetention: Type.Optional(Type.Boolean()),
})
export type ModelInfo = Static<typeof ModelInfo>
