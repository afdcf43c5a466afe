import { Type, type Static } from '@sinclair/typebox'

/**
 * Token usage of one response. Normalised counts sit next to the provider's raw object.
 * A count the provider did not report is `undefined`, never 0.
 */
export const Usage = Type.Object({
  inputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'All input tokens, cached ones included' })),
  outputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'All output tokens, reasoning included' })),
  cachedInputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Input tokens read from the prompt cache' })),
  cacheWriteTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Input tokens written to the prompt cache' })),
  reasoningTokens: Type.Optional(Type.Integer({ minimum: 0 })),
  totalTokens: Type.Optional(Type.Integer({ minimum: 0 })),
  estimated: Type.Optional(Type.Boolean({ description: 'Counted by the gateway because the upstream gave none' })),
  raw: Type.Optional(Type.Unknown({ description: "The provider's own usage object" })),
})
export type Usage = Static<typeof Usage>
