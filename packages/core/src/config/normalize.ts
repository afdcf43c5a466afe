import type { PluginDescriptor } from '../contracts/plugin-descriptor.js'
import { parseByteSize, parseDuration } from './duration.js'
import { createHash } from 'node:crypto'
import type { SecretRef } from '../contracts/secret-ref.js'
import type { DeactivateConfig, MeshConfigJson, RecoverConfig, RetryConfig, SELECTION_STRATEGIES, TimeoutConfig } from './schema.js'

export interface RetryIR {
  attempts: number
  on: number[]
  backoff: { initialMs: number; maxMs: number; multiplier: number }
  maxRetryAfterMs: number
}

export interface TimeoutIR {
  connectMs: number
  firstTokenMs: number
  idleMs: number
  totalMs: number
}

export interface TargetIR {
  provider: string
  model: string
  weight: number
  priority: number
  maxRpm?: number
  zeroDataRetention?: boolean
  pricing?: { input?: number; output?: number; cachedInput?: number; cacheWrite?: number; perRequest?: number }
  maintenance?: { cron: string; durationMs: number }
}

export interface DeactivateIR {
  consecutiveFailures?: number
  errorRate?: { threshold: number; windowMs: number; minRequests: number }
  errorCodes: number[]
  requestLimit?: number
  tokenLimit?: number
  budgetLimitUsd?: number
  quotaWindow: 'daily' | 'monthly'
  maintenance?: { cron: string; durationMs: number }
}

export interface RecoverIR {
  cooldownMs: number
  probe: boolean
  probeOnStart: boolean
  probeIntervalMs?: number
  onQuotaReset: boolean
}

export interface PoolIR {
  selection: (typeof SELECTION_STRATEGIES)[number]
  targets: TargetIR[]
  retry: RetryIR
  timeout: TimeoutIR
  deactivate: DeactivateIR
  recover: RecoverIR
  rateLimit: { threshold: number; minDeltaMs: number }
  affinity: { ttlMs: number; prefixMessages: number; loadWeightUsd: number }
}

/**
 * The normalised config: plain JSON with every default applied and every duration in ms.
 * The routing table is built from this alone, and a compile step can emit it as code.
 */
export interface MeshIR {
  irVersion: 1
  server: { host: string; port: number; bodyLimitBytes: number }
  secrets: PluginDescriptor[]
  providers: Record<string, { descriptor: PluginDescriptor; keyCount: number }>
  models: Record<string, PoolIR>
  rotation: { providerDeactivation: Array<'auth-failure' | 'api-outage'>; providerRecovery: 'probe-success' | 'manual' }
  discovery: { syncIntervalMs?: number; onNewModel: 'register' | 'notify' | 'ignore'; onDeprecatedModel: 'deactivate' | 'notify' | 'ignore'; healthIntervalMs?: number; healthTimeoutMs: number }
  auth: { keys: boolean; keyCacheTtlMs: number }
  stores: { state?: PluginDescriptor; ledger?: PluginDescriptor; counters?: PluginDescriptor }
  billing: {
    margin: number
    defaultMaxOutputTokens: number
    unpriced: 'allow' | 'deny'
    settlement: 'sync' | 'async'
    usageFlushIntervalMs: number
    usageBatchSize: number
    /** Usage events older than this are deleted (absent: kept forever); ledger entries never are. */
    usageRetentionMs?: number
    usageRetentionIntervalMs: number
  }
  /** The admin credential: a secret reference, or the SHA-256 of an inline key (never the key itself). */
  admin?: { key: SecretRef } | { sha256: string }
}

export const DEFAULT_ERROR_CODES = [429, 500, 502, 503, 504]

function deactivateIR(own: DeactivateConfig | undefined, base: DeactivateConfig | undefined): DeactivateIR {
  const d = { ...base, ...own }
  return {
    ...(d.consecutiveFailures !== undefined ? { consecutiveFailures: d.consecutiveFailures } : {}),
    ...(d.errorRateThreshold !== undefined
      ? { errorRate: { threshold: d.errorRateThreshold, windowMs: parseDuration(d.errorRateWindow ?? '60s'), minRequests: d.errorRateMinRequests ?? 10 } }
      : {}),
    errorCodes: d.errorCodes ?? DEFAULT_ERROR_CODES,
    ...(d.requestLimit !== undefined ? { requestLimit: d.requestLimit } : {}),
    ...(d.tokenLimit !== undefined ? { tokenLimit: d.tokenLimit } : {}),
    ...(d.budgetLimit !== undefined ? { budgetLimitUsd: d.budgetLimit } : {}),
    quotaWindow: d.quotaWindow ?? 'daily',
    ...(d.maintenanceWindow ? { maintenance: { cron: d.maintenanceWindow.cron, durationMs: parseDuration(d.maintenanceWindow.duration) } } : {}),
  }
}

function recoverIR(own: RecoverConfig | undefined, base: RecoverConfig | undefined): RecoverIR {
  const r = { ...base, ...own }
  return {
    cooldownMs: parseDuration(r.cooldown ?? '30s'),
    probe: r.probe ?? false,
    probeOnStart: r.probeOnStart ?? false,
    ...(r.probeInterval !== undefined ? { probeIntervalMs: parseDuration(r.probeInterval) } : {}),
    onQuotaReset: r.onQuotaReset ?? true,
  }
}

export const DEFAULT_RETRY_ON = [408, 409, 429, 500, 502, 503, 504]

function retryIR(own: RetryConfig | undefined, base: RetryConfig | undefined): RetryIR {
  const r = { ...base, ...own }
  return {
    attempts: r.attempts ?? 2,
    on: r.on ?? DEFAULT_RETRY_ON,
    backoff: {
      initialMs: parseDuration(r.backoff?.initial ?? base?.backoff?.initial ?? 250),
      maxMs: parseDuration(r.backoff?.max ?? base?.backoff?.max ?? 8_000),
      multiplier: r.backoff?.multiplier ?? base?.backoff?.multiplier ?? 2,
    },
    maxRetryAfterMs: parseDuration(r.maxRetryAfter ?? 30_000),
  }
}

function timeoutIR(own: TimeoutConfig | undefined, base: TimeoutConfig | undefined): TimeoutIR {
  const t = { ...base, ...own }
  return {
    connectMs: parseDuration(t.connect ?? 10_000),
    firstTokenMs: parseDuration(t.firstToken ?? 60_000),
    idleMs: parseDuration(t.idle ?? 60_000),
    totalMs: parseDuration(t.total ?? 600_000),
  }
}

/**
 * Normalise a validated config. `keyCount` tells how many credentials each provider has
 * (each one gives a deployment per model).
 */
export function normalizeConfig(config: MeshConfigJson, keyCount: (provider: string) => number): MeshIR {
  const defaults = config.defaults
  const models: Record<string, PoolIR> = {}
  for (const [name, model] of Object.entries(config.models)) {
    models[name] = {
      selection: model.selection ?? defaults?.selection ?? 'priority',
      targets: model.targets.map(({ maintenanceWindow, ...t }, i) => ({
        ...t,
        weight: t.weight ?? 1,
        priority: t.priority ?? i,
        ...(maintenanceWindow ? { maintenance: { cron: maintenanceWindow.cron, durationMs: parseDuration(maintenanceWindow.duration) } } : {}),
      })),
      retry: retryIR(model.retry, defaults?.retry),
      timeout: timeoutIR(model.timeout, defaults?.timeout),
      deactivate: deactivateIR(model.deactivate, defaults?.deactivate),
      recover: recoverIR(model.recover, defaults?.recover),
      rateLimit: { threshold: model.rateLimit?.threshold ?? 0.9, minDeltaMs: parseDuration(model.rateLimit?.minDelta ?? 0) },
      affinity: { ttlMs: parseDuration(model.affinity?.ttl ?? '5m'), prefixMessages: model.affinity?.prefixMessages ?? 2, loadWeightUsd: model.affinity?.loadWeight ?? 0.0001 },
    }
  }
  return {
    irVersion: 1,
    server: {
      host: config.server?.host ?? '127.0.0.1',
      port: config.server?.port ?? 4000,
      bodyLimitBytes: parseByteSize(config.server?.bodyLimit ?? '4mb'),
    },
    secrets: config.secrets ?? [{ package: '@modelmesh/core', factory: 'envSecrets', options: {} }],
    providers: Object.fromEntries(
      Object.entries(config.providers).map(([name, descriptor]) => [name, { descriptor, keyCount: keyCount(name) }]),
    ),
    models,
    rotation: {
      providerDeactivation: config.rotation?.providerDeactivation ?? ['auth-failure'],
      providerRecovery: config.rotation?.providerRecovery ?? 'probe-success',
    },
    discovery: {
      ...(config.discovery?.syncInterval !== undefined ? { syncIntervalMs: parseDuration(config.discovery.syncInterval) } : {}),
      onNewModel: config.discovery?.onNewModel ?? 'notify',
      onDeprecatedModel: config.discovery?.onDeprecatedModel ?? 'notify',
      ...(config.discovery?.healthInterval !== undefined ? { healthIntervalMs: parseDuration(config.discovery.healthInterval) } : {}),
      healthTimeoutMs: parseDuration(config.discovery?.healthTimeout ?? '10s'),
    },
    auth: { keys: config.auth?.keys ?? false, keyCacheTtlMs: parseDuration(config.auth?.keyCacheTtl ?? '5s') },
    stores: { ...config.stores },
    billing: {
      margin: config.billing?.margin ?? 0,
      defaultMaxOutputTokens: config.billing?.defaultMaxOutputTokens ?? 4096,
      unpriced: config.billing?.unpriced ?? 'allow',
      settlement: config.billing?.settlement ?? 'sync',
      usageFlushIntervalMs: parseDuration(config.billing?.usageFlushInterval ?? '250ms'),
      // 25: a batch of usage rows holds the event loop ~0.3 ms (200 held it ~2.6 ms, five times a
      // second at 1,000 req/s: bench/README); the rows still share the group commit of their tick.
      usageBatchSize: config.billing?.usageBatchSize ?? 25,
      ...(config.billing?.usageRetention !== undefined ? { usageRetentionMs: parseDuration(config.billing.usageRetention) } : {}),
      usageRetentionIntervalMs: parseDuration(config.billing?.usageRetentionInterval ?? '1m'),
    },
    ...(config.admin
      ? { admin: typeof config.admin.key === 'string' ? { sha256: createHash('sha256').update(config.admin.key).digest('hex') } : { key: config.admin.key } }
      : {}),
  }
}
