import { Type, type Static } from '@sinclair/typebox'

/** A wire format a client or provider speaks natively. */
export const Dialect = Type.Union([
  Type.Literal('openai.chat'),
  Type.Literal('anthropic.messages'),
  Type.Literal('google.generate'),
  Type.Literal('bedrock.converse'),
])
export type Dialect = Static<typeof Dialect>
