import type { PluginDescriptor } from '../contracts/plugin-descriptor.js'
import { parseByteSize, parseDuration } from './duration.js'
import type { MeshConfigJson, RetryConfig, TimeoutConfig } from './schema.js'

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

export interface PoolIR {
  selection: 'priority' | 'weighted'
  targets: Array<{ provider: string; model: string; weight: number; priority: number }>
  retry: RetryIR
  timeout: TimeoutIR
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
      targets: model.targets.map((t, i) => ({ provider: t.provider, model: t.model, weight: t.weight ?? 1, priority: t.priority ?? i })),
      retry: retryIR(model.retry, defaults?.retry),
      timeout: timeoutIR(model.timeout, defaults?.timeout),
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
  }
}
