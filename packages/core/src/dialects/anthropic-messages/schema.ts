import { Type, type Static, type TObject } from '@sinclair/typebox'

// The Anthropic Messages request as clients send it. Known fields and blocks are typed so a
// malformed body gets a precise 400 at ingress; objects stay open, and block types this gateway does
// not know are accepted, because a same-dialect forward must carry what Anthropic adds next.

const cacheControl = Type.Optional(Type.Object({ type: Type.String(), ttl: Type.Optional(Type.String()) }))

const TextBlock = Type.Object({ type: Type.Literal('text'), text: Type.String(), cache_control: cacheControl })
const Base64Source = Type.Object({ type: Type.Literal('base64'), media_type: Type.String(), data: Type.String() })
const UrlSource = Type.Object({ type: Type.Literal('url'), url: Type.String() })
const ImageBlock = Type.Object({
  type: Type.Literal('image'),
  source: Type.Object({ type: Type.String() }),
  cache_control: cacheControl,
})
const DocumentBlock = Type.Object({
  type: Type.Literal('document'),
  source: Type.Object({ type: Type.String() }),
  title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  cache_control: cacheControl,
})
const ToolUseBlock = Type.Object({ type: Type.Literal('tool_use'), id: Type.String(), name: Type.String(), input: Type.Unknown() })
const ToolResultBlock = Type.Object({
  type: Type.Literal('tool_result'),
  tool_use_id: Type.String(),
  content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }))])),
  is_error: Type.Optional(Type.Boolean()),
  cache_control: cacheControl,
})
const ThinkingBlock = Type.Object({ type: Type.Literal('thinking'), thinking: Type.String(), signature: Type.Optional(Type.String()) })
const RedactedThinkingBlock = Type.Object({ type: Type.Literal('redacted_thinking'), data: Type.String() })

/** Source shapes the cross-dialect translation reads (others are forwarded as they are). */
export const ANTHROPIC_SOURCES = { Base64Source, UrlSource }

/**
 * A tagged union whose tag is open: known tags are checked against their variant (`if`/`then`),
 * unknown ones pass, so a wrong field of a known block is reported precisely.
 */
function openTagged(tag: string, variants: TObject[]) {
  const value = (variant: TObject) => (variant.properties[tag] as unknown as { const: string }).const
  return Type.Unsafe<{ type: string; [field: string]: unknown }>({
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string' } },
    allOf: variants.map((variant) => ({ if: { properties: { [tag]: { const: value(variant) } }, required: [tag] }, then: variant })),
  })
}

const ContentBlock = openTagged('type', [TextBlock, ImageBlock, DocumentBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock])

export const AnthropicMessageParam = Type.Object({
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
  // Arrays first: when blocks are malformed, the first error then describes the block, not "must be string".
  content: Type.Union([Type.Array(ContentBlock), Type.String()]),
})

const Tool = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  input_schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  cache_control: cacheControl,
  strict: Type.Optional(Type.Boolean()),
  type: Type.Optional(Type.String()),
})

const ToolChoice = Type.Object({
  type: Type.Union([Type.Literal('auto'), Type.Literal('any'), Type.Literal('tool'), Type.Literal('none')]),
  name: Type.Optional(Type.String()),
  disable_parallel_tool_use: Type.Optional(Type.Boolean()),
})

/**
 * TypeBox (JSON Schema) of an Anthropic Messages request, for the ingress validator. Also accepts
 * the gateway extensions `models: string[]` and `route: 'fallback'`.
 */
export const anthropicMessagesRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  max_tokens: Type.Integer({ minimum: 1 }),
  messages: Type.Array(AnthropicMessageParam, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.Array(TextBlock), Type.String()])),
  tools: Type.Optional(Type.Array(Tool)),
  tool_choice: Type.Optional(ToolChoice),
  stream: Type.Optional(Type.Boolean()),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  top_k: Type.Optional(Type.Integer({ minimum: 0 })),
  stop_sequences: Type.Optional(Type.Array(Type.String())),
  metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
  thinking: Type.Optional(Type.Object({ type: Type.String(), budget_tokens: Type.Optional(Type.Integer({ minimum: 0 })) })),
  output_config: Type.Optional(Type.Object({ format: Type.Optional(Type.Object({ type: Type.String(), schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })), effort: Type.Optional(Type.String()) })),
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  route: Type.Optional(Type.Literal('fallback')),
})
export type AnthropicMessagesRequest = Static<typeof anthropicMessagesRequestSchema> & Record<string, unknown>
