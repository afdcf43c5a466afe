import { Type, type Static } from '@sinclair/typebox'
import { PluginDescriptor } from '../contracts/plugin-descriptor.js'
import { SecretRef } from '../contracts/secret-ref.js'
import { ByteSize, Duration } from './duration.js'

const strict = { additionalProperties: false } as const

export const SELECTION_STRATEGIES = ['priority', 'weighted', 'round-robin', 'least-latency', 'least-busy', 'cost', 'rate-limit-headroom', 'cache-affinity'] as const
const Selection = Type.Union(SELECTION_STRATEGIES.map((s) => Type.Literal(s)))

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

const MaintenanceWindow = Type.Object({ cron: Type.String({ description: 'Five-field cron expression, UTC' }), duration: Duration }, strict)

export const TargetConfig = Type.Object(
  {
    provider: Type.String({ minLength: 1, description: 'Key of an entry in `providers`' }),
    model: Type.String({ minLength: 1, description: 'Upstream model id' }),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    priority: Type.Optional(Type.Integer({ minimum: 0 })),
    maxRpm: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per minute this target may take before it is deprioritised' })),
    zeroDataRetention: Type.Optional(Type.Boolean({ description: 'The upstream keeps no prompt data (eligible for privacy-constrained requests)' })),
    maintenanceWindow: Type.Optional(MaintenanceWindow),
    pricing: Type.Optional(
      Type.Object(
        {
          input: Type.Optional(Type.Number({ minimum: 0 })),
          output: Type.Optional(Type.Number({ minimum: 0 })),
          cachedInput: Type.Optional(Type.Number({ minimum: 0 })),
          cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
          perRequest: Type.Optional(Type.Number({ minimum: 0, description: 'USD per request' })),
        },
        { ...strict, description: 'USD per million tokens; overrides the provider catalogue' },
      ),
    ),
  },
  strict,
)

export const DeactivateConfig = Type.Object(
  {
    consecutiveFailures: Type.Optional(Type.Integer({ minimum: 1, description: 'Consecutive failures before standby (retry_limit)' })),
    errorRateThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    errorRateWindow: Type.Optional(Duration),
    errorRateMinRequests: Type.Optional(Type.Integer({ minimum: 1 })),
    errorCodes: Type.Optional(Type.Array(Type.Integer({ minimum: 400, maximum: 599 }), { description: 'Statuses that count as failures (default 429 and 5xx; timeouts and connection errors always count)' })),
    requestLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per quota window (free-tier cap)' })),
    tokenLimit: Type.Optional(Type.Integer({ minimum: 1 })),
    budgetLimit: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'USD per quota window' })),
    quotaWindow: Type.Optional(Type.Union([Type.Literal('daily'), Type.Literal('monthly')])),
    maintenanceWindow: Type.Optional(MaintenanceWindow),
  },
  strict,
)

export const RecoverConfig = Type.Object(
  {
    cooldown: Type.Optional(Duration),
    probe: Type.Optional(Type.Boolean({ description: 'Probe a deployment before it serves again after cooldown (else half-open)' })),
    probeOnStart: Type.Optional(Type.Boolean()),
    probeInterval: Type.Optional(Duration),
    onQuotaReset: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const RateLimitConfig = Type.Object(
  {
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Fraction of the limit used before switching' })),
    minDelta: Type.Optional(Duration),
  },
  strict,
)

export const AffinityConfig = Type.Object(
  {
    ttl: Type.Optional(Duration),
    prefixMessages: Type.Optional(Type.Integer({ minimum: 1 })),
    loadWeight: Type.Optional(Type.Number({ minimum: 0, description: 'USD a unit of extra in-flight load is worth when weighing affinity' })),
  },
  strict,
)

export const ModelConfig = Type.Object(
  {
    targets: Type.Array(TargetConfig, { minItems: 1 }),
    selection: Type.Optional(Selection),
    retry: Type.Optional(RetryConfig),
    timeout: Type.Optional(TimeoutConfig),
    deactivate: Type.Optional(DeactivateConfig),
    recover: Type.Optional(RecoverConfig),
    rateLimit: Type.Optional(RateLimitConfig),
    affinity: Type.Optional(AffinityConfig),
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
      Type.Object(
        {
          retry: Type.Optional(RetryConfig),
          timeout: Type.Optional(TimeoutConfig),
          selection: Type.Optional(Selection),
          deactivate: Type.Optional(DeactivateConfig),
          recover: Type.Optional(RecoverConfig),
        },
        strict,
      ),
    ),
    rotation: Type.Optional(
      Type.Object(
        {
          providerDeactivation: Type.Optional(Type.Array(Type.Union([Type.Literal('auth-failure'), Type.Literal('api-outage')]))),
          providerRecovery: Type.Optional(Type.Union([Type.Literal('probe-success'), Type.Literal('manual')])),
        },
        strict,
      ),
    ),
    discovery: Type.Optional(
      Type.Object(
        {
          syncInterval: Type.Optional(Duration),
          onNewModel: Type.Optional(Type.Union([Type.Literal('register'), Type.Literal('notify'), Type.Literal('ignore')])),
          onDeprecatedModel: Type.Optional(Type.Union([Type.Literal('deactivate'), Type.Literal('notify'), Type.Literal('ignore')])),
          healthInterval: Type.Optional(Duration),
          healthTimeout: Type.Optional(Duration),
        },
        strict,
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          keys: Type.Optional(Type.Boolean({ description: 'Require a virtual key (mk_live_…) on every request (default false: open, for development)' })),
          keyCacheTtl: Type.Optional(Duration),
        },
        strict,
      ),
    ),
    stores: Type.Optional(
      Type.Object(
        {
          state: Type.Optional(PluginDescriptor),
          ledger: Type.Optional(PluginDescriptor),
          counters: Type.Optional(PluginDescriptor),
        },
        { ...strict, description: 'Default: in-memory state, ledger and counters (nothing survives a restart)' },
      ),
    ),
    billing: Type.Optional(
      Type.Object(
        {
          margin: Type.Optional(Type.Number({ minimum: 0, description: 'Added to the upstream cost: 0.1 bills 110 %' })),
          defaultMaxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
          unpriced: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')])),
          settlement: Type.Optional(
            Type.Union([Type.Literal('sync'), Type.Literal('async')], {
              description: 'sync (default): a non-streamed answer is sent after its debit is stored; async: right away, settling in the background',
            }),
          ),
          usageFlushInterval: Type.Optional(Duration),
          usageBatchSize: Type.Optional(Type.Integer({ minimum: 1 })),
          // Usage events that started longer ago are deleted ("30d"); ledger entries never are. Default: kept.
          usageRetention: Type.Optional(Duration),
          usageRetentionInterval: Type.Optional(Duration),
        },
        strict,
      ),
    ),
    admin: Type.Optional(
      Type.Object({ key: Type.Union([Type.String({ minLength: 16 }), SecretRef]) }, { ...strict, description: 'Credential for /admin/v1 (never a client key)' }),
    ),
  },
  { ...strict, $id: 'https://modelmesh.dev/schema/mesh.config.schema.json', title: 'ModelMesh config' },
)
export type MeshConfigJson = Static<typeof MeshConfigSchema>
export type ModelConfig = Static<typeof ModelConfig>
export type RetryConfig = Static<typeof RetryConfig>
export type TimeoutConfig = Static<typeof TimeoutConfig>
export type DeactivateConfig = Static<typeof DeactivateConfig>
export type RecoverConfig = Static<typeof RecoverConfig>
