import { Type, type Static, type TObject, type TUnion } from '@sinclair/typebox'

// The OpenAI Chat Completions request as clients send it. Known fields are typed so a malformed body
// gets a precise 400 at ingress; objects stay open (no `additionalProperties: false`) because a
// same-dialect forward must carry fields this gateway does not know yet, and because compatible
// upstreams accept extras (`top_k`, `cache_control`, …).

const cacheControl = Type.Optional(Type.Object({ type: Type.String() }))

const TextContentPart = Type.Object({ type: Type.Literal('text'), text: Type.String(), cache_control: cacheControl })
const ImageContentPart = Type.Object({
  type: Type.Literal('image_url'),
  image_url: Type.Object({ url: Type.String(), detail: Type.Optional(Type.String()) }),
  cache_control: cacheControl,
})
const AudioContentPart = Type.Object({
  type: Type.Literal('input_audio'),
  input_audio: Type.Object({ data: Type.String(), format: Type.String() }),
})
const FileContentPart = Type.Object({
  type: Type.Literal('file'),
  file: Type.Object({
    file_data: Type.Optional(Type.String()),
    file_id: Type.Optional(Type.String()),
    filename: Type.Optional(Type.String()),
  }),
  cache_control: cacheControl,
})
const RefusalContentPart = Type.Object({ type: Type.Literal('refusal'), refusal: Type.String() })

/**
 * A tagged union as `enum` + `if`/`then` rather than `anyOf`: with `anyOf`, ajv's first error comes
 * from the first branch tried ("role must be equal to constant"); this way a wrong tag is reported as
 * such and a missing field as `must have required property 'tool_call_id'` at the right path.
 */
function tagged<T extends TObject[]>(tag: string, variants: [...T]) {
  const value = (variant: TObject) => (variant.properties[tag] as unknown as { const: string }).const
  return Type.Unsafe<Static<TUnion<T>>>({
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string', enum: variants.map(value) } },
    allOf: variants.map((variant) => ({ if: { properties: { [tag]: { const: value(variant) } }, required: [tag] }, then: variant })),
  })
}

// Arrays first: when parts are malformed, the first error then describes the part, not "must be string".
const TextOnlyContent = Type.Union([Type.Array(TextContentPart), Type.String()])

const ToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String(), arguments: Type.String() }),
})

export const OpenAIChatMessage = tagged('role', [
  Type.Object({ role: Type.Literal('system'), content: TextOnlyContent, name: Type.Optional(Type.String()) }),
  Type.Object({ role: Type.Literal('developer'), content: TextOnlyContent, name: Type.Optional(Type.String()) }),
  Type.Object({
    role: Type.Literal('user'),
    content: Type.Union([Type.Array(tagged('type', [TextContentPart, ImageContentPart, AudioContentPart, FileContentPart])), Type.String()]),
    name: Type.Optional(Type.String()),
  }),
  Type.Object({
    role: Type.Literal('assistant'),
    content: Type.Optional(Type.Union([Type.Array(tagged('type', [TextContentPart, RefusalContentPart])), Type.String(), Type.Null()])),
    name: Type.Optional(Type.String()),
    refusal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    tool_calls: Type.Optional(Type.Array(ToolCall)),
    function_call: Type.Optional(Type.Union([Type.Object({ name: Type.String(), arguments: Type.String() }), Type.Null()])),
    // Not OpenAI's own, but what reasoning-capable compatible servers return and accept back.
    reasoning_content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
  Type.Object({ role: Type.Literal('tool'), content: TextOnlyContent, tool_call_id: Type.String() }),
  Type.Object({ role: Type.Literal('function'), content: Type.Union([Type.String(), Type.Null()]), name: Type.String() }),
])
export type OpenAIChatMessage = Static<typeof OpenAIChatMessage>

const FunctionTool = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  }),
})
// Other tool kinds (`custom`, …) are typed loosely so they can be forwarded to OpenAI unchanged.
const OtherTool = Type.Object({ type: Type.String({ not: { const: 'function' } }) })

const ToolChoice = Type.Union([
  Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Literal('required')]),
  Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: Type.String() }) }),
  Type.Object({ type: Type.String({ not: { const: 'function' } }) }),
])

const ResponseFormat = Type.Union([
  Type.Object({ type: Type.Literal('text') }),
  Type.Object({ type: Type.Literal('json_object') }),
  Type.Object({
    type: Type.Literal('json_schema'),
    json_schema: Type.Object({
      name: Type.String({ minLength: 1 }),
      description: Type.Optional(Type.String()),
      schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    }),
  }),
])

const nullable = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

/**
 * TypeBox (JSON Schema) of an OpenAI Chat Completions request, for the ingress validator.
 * Known fields are typed; unknown top-level fields are allowed and must survive a forward.
 * Also accepts the gateway extensions `models: string[]` and `route: 'fallback'`.
 */
export const openAIChatRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(OpenAIChatMessage, { minItems: 1 }),
    tools: Type.Optional(Type.Array(Type.Union([FunctionTool, OtherTool]))),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    response_format: Type.Optional(ResponseFormat),
    temperature: nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: nullable(Type.Number({ minimum: 0, maximum: 1 })),
    n: nullable(Type.Integer({ minimum: 1 })),
    stop: nullable(Type.Union([Type.String(), Type.Array(Type.String())])),
    max_tokens: nullable(Type.Integer({ minimum: 1 })),
    max_completion_tokens: nullable(Type.Integer({ minimum: 1 })),
    stream: nullable(Type.Boolean()),
    stream_options: nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    seed: nullable(Type.Integer()),
    presence_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    logprobs: nullable(Type.Boolean()),
    top_logprobs: nullable(Type.Integer({ minimum: 0, maximum: 20 })),
    logit_bias: nullable(Type.Record(Type.String(), Type.Number())),
    user: Type.Optional(Type.String()),
    // A plain string: OpenAI keeps adding levels and the upstream is the judge of which it accepts.
    reasoning_effort: nullable(Type.String()),
    metadata: nullable(Type.Record(Type.String(), Type.String())),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    route: Type.Optional(Type.Literal('fallback')),
  },
)
export type OpenAIChatRequest = Static<typeof openAIChatRequestSchema> & Record<string, unknown>
