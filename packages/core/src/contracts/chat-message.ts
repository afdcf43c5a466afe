import { Type, type Static } from '@sinclair/typebox'
import { ProviderOptions } from './provider-options.js'

/** Marks a prefix boundary the provider may cache (Anthropic `cache_control`, Gemini cached content). */
export const CacheControl = Type.Object({
  type: Type.Literal('ephemeral'),
  ttl: Type.Optional(Type.String()),
})
export type CacheControl = Static<typeof CacheControl>

const partBase = {
  cacheControl: Type.Optional(CacheControl),
  providerOptions: Type.Optional(ProviderOptions),
}

export const TextPart = Type.Object({ type: Type.Literal('text'), text: Type.String(), ...partBase })
export type TextPart = Static<typeof TextPart>

/** An image given by URL or inline base64 data. */
export const ImagePart = Type.Object({
  type: Type.Literal('image'),
  url: Type.Optional(Type.String()),
  data: Type.Optional(Type.String({ description: 'base64' })),
  mediaType: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  ...partBase,
})
export type ImagePart = Static<typeof ImagePart>

/** A document (PDF, text) given by URL or inline base64 data. */
export const FilePart = Type.Object({
  type: Type.Literal('file'),
  url: Type.Optional(Type.String()),
  data: Type.Optional(Type.String({ description: 'base64' })),
  mediaType: Type.String(),
  filename: Type.Optional(Type.String()),
  ...partBase,
})
export type FilePart = Static<typeof FilePart>

export const AudioPart = Type.Object({
  type: Type.Literal('audio'),
  data: Type.String({ description: 'base64' }),
  mediaType: Type.String(),
  ...partBase,
})
export type AudioPart = Static<typeof AudioPart>

export const ReasoningPart = Type.Object({
  type: Type.Literal('reasoning'),
  text: Type.String(),
  signature: Type.Optional(Type.String()),
  ...partBase,
})
export type ReasoningPart = Static<typeof ReasoningPart>

/** A tool call made by the assistant; `arguments` is the JSON text as the model produced it. */
export const ToolCallPart = Type.Object({
  type: Type.Literal('tool-call'),
  id: Type.String(),
  name: Type.String(),
  arguments: Type.String(),
  ...partBase,
})
export type ToolCallPart = Static<typeof ToolCallPart>

export const ToolResultPart = Type.Object({
  type: Type.Literal('tool-result'),
  toolCallId: Type.String(),
  content: Type.Union([Type.String(), Type.Array(Type.Union([TextPart, ImagePart]))]),
  isError: Type.Optional(Type.Boolean()),
  ...partBase,
})
export type ToolResultPart = Static<typeof ToolResultPart>

export const ChatMessage = Type.Union([
  Type.Object({ role: Type.Literal('system'), content: Type.Array(TextPart) }),
  Type.Object({
    role: Type.Literal('user'),
    content: Type.Array(Type.Union([TextPart, ImagePart, FilePart, AudioPart])),
    name: Type.Optional(Type.String()),
  }),
  Type.Object({
    role: Type.Literal('assistant'),
    content: Type.Array(Type.Union([TextPart, ReasoningPart, ToolCallPart])),
    name: Type.Optional(Type.String()),
  }),
  Type.Object({ role: Type.Literal('tool'), content: Type.Array(ToolResultPart) }),
])
export type ChatMessage = Static<typeof ChatMessage>
