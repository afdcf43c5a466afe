import { Type, type Static } from '@sinclair/typebox'

/** Escape hatch in: provider-specific fields, namespaced by provider id (`{ openai: { logprobs: true } }`). */
export const ProviderOptions = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))
export type ProviderOptions = Static<typeof ProviderOptions>

/** Escape hatch out: provider-specific response data, namespaced by provider id. */
export const ProviderMetadata = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))
export type ProviderMetadata = Static<typeof ProviderMetadata>
