import { Type, type Static } from '@sinclair/typebox'
import { PluginDescriptor } from '../contracts/plugin-descriptor.js'
import { ByteSize, Duration } from './duration.js'

const strict = { additionalProperties: false } as const

export const SELECTION_STRATEGIES = ['priority', 'weighted'] as const

export const RetryConfig = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Extra attempts after each deployment was tried once (default 2)' })),
    on: Type.Optional(Type.Array(Type.Integer({ minimum: 400, maximum: 599 }), { description: 'Statuses that may be retried (default 408, 409, 429, 500, 502, 503, 504)' })),
    backoff: Type.Optional(
      Type.Object(
        {
          initial: Type.Optional(Duration),
          max: Type.Optional(Duration),
          multiplier: Type.Optional(Type.Number({ minimum: 1 })),
        },
        strict,
      ),
    ),
    maxRetryAfter: Type.Optional(Duration),
  },
  strict,
)

export const TimeoutConfig = Type.Object(
  {
    connect: Type.Optional(Duration),
    firstToken: Type.Optional(Duration),
    idle: Type.Optional(Duration),
    total: Type.Optional(Duration),
  },
  strict,
)

export const TargetConfig = Type.Object(
  {
    provider: Type.String({ minLength: 1, description: 'Key of an entry in `providers`' }),
    model: Type.String({ minLength: 1, description: 'Upstream model id' }),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    priority: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
)

export const ModelConfig = Type.Object(
  {
    targets: Type.Array(TargetConfig, { minItems: 1 }),
    selection: Type.Optional(Type.Union(SELECTION_STRATEGIES.map((s) => Type.Literal(s)))),
    retry: Type.Optional(RetryConfig),
    timeout: Type.Optional(TimeoutConfig),
    description: Type.Optional(Type.String()),
  },
  strict,
)

export const ServerConfig = Type.Object(
  {
    host: Type.Optional(Type.String({ description: 'Bind address (default 127.0.0.1)' })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    bodyLimit: Type.Optional(ByteSize),
  },
  strict,
)

/**
 * The config in its JSON form: plugins are descriptors (package + factory + options).
 * TypeScript configs hold plugin instances; each carries its descriptor, so both forms
 * validate against this one schema. `schema/mesh.config.schema.json` is generated from it.
 */
export const MeshConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    server: Type.Optional(ServerConfig),
    secrets: Type.Optional(Type.Array(PluginDescriptor, { description: 'Secret stores, tried in order (default: env)' })),
    providers: Type.Record(Type.String({ pattern: '^[a-zA-Z0-9_-]+$' }), PluginDescriptor),
    models: Type.Record(Type.String({ minLength: 1 }), ModelConfig),
    defaults: Type.Optional(
      Type.Object({ retry: Type.Optional(RetryConfig), timeout: Type.Optional(TimeoutConfig), selection: Type.Optional(Type.Union(SELECTION_STRATEGIES.map((s) => Type.Literal(s)))) }, strict),
    ),
  },
  { ...strict, $id: 'https://modelmesh.dev/schema/mesh.config.schema.json', title: 'ModelMesh config' },
)
export type MeshConfigJson = Static<typeof MeshConfigSchema>
export type ModelConfig = Static<typeof ModelConfig>
export type RetryConfig = Static<typeof RetryConfig>
export type TimeoutConfig = Static<typeof TimeoutConfig>
