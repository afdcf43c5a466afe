import type { MeshIR } from '../config/normalize.js'
import type { MeshConfig } from '../config/define-config.js'
import type { CounterStoreV1 } from '../contracts/counter-store.js'
import type { LedgerStoreV1 } from '../contracts/ledger-store.js'
import type { StateStoreV1 } from '../contracts/state-store.js'
import { ConfigError, type ConfigIssue } from '../errors/config-error.js'
import { memoryCounterStore } from '../stores/memory-counters.js'
import { memoryLedgerStore } from '../stores/memory-ledger.js'
import { memoryStateStore } from '../stores/memory-state.js'
import { Gate } from './gate.js'
import { KeyAuthority } from './key-authority.js'
import { RateLimiter } from './rate-limiter.js'
import { UsageRetention } from './usage-retention.js'
import { UsageWriter } from './usage-writer.js'

export interface Billing {
  readonly gate: Gate
  readonly keys: KeyAuthority
  readonly ledger: LedgerStoreV1
  readonly state: StateStoreV1
  readonly counters: CounterStoreV1
  readonly writer: UsageWriter
  /** `billing.usageRetention`, when set (started by `createMesh` unless `background: false`). */
  readonly retention: UsageRetention | undefined
  /** Resolves once the key authority listens for revocations. */
  readonly started: Promise<void>
  close(): Promise<void>
}

/**
 * The stores and the request gate for one config. Without configured stores everything is in
 * memory: fine for development and tests, nothing survives a restart.
 */
export function createBilling(config: MeshConfig, ir: MeshIR, now: () => number, onError: (error: unknown) => void): Billing {
  const ledger = config.stores?.ledger ?? memoryLedgerStore()
  const state = config.stores?.state ?? memoryStateStore()
  const counters = config.stores?.counters ?? memoryCounterStore()
  const keys = new KeyAuthority(ledger, counters, ir.auth.keyCacheTtlMs, now)
  const limiter = new RateLimiter(counters, now)
  const writer = new UsageWriter(ledger, { flushIntervalMs: ir.billing.usageFlushIntervalMs, batchSize: ir.billing.usageBatchSize, maxQueue: 100_000, onError })
  // Usage events are kept only where someone reads them: with keys on, or a configured ledger. An
  // open development gateway on the in-memory default would otherwise grow without bound.
  const recordUsage = ir.auth.keys || config.stores?.ledger !== undefined
  const gate = new Gate({ authEnabled: ir.auth.keys, margin: ir.billing.margin, defaultMaxOutputTokens: ir.billing.defaultMaxOutputTokens, unpriced: ir.billing.unpriced, settlement: ir.billing.settlement }, ledger, state, keys, limiter, recordUsage ? writer : undefined, now, onError)
  const retention = usageRetention(ledger, ir, now, onError)
  const started = keys.start()
  return {
    gate,
    keys,
    ledger,
    state,
    counters,
    writer,
    retention,
    started,
    async close() {
      await retention?.stop()
      await writer.flush()
      await keys.stop()
      const closing = new Set([ledger, state, counters])
      for (const store of closing) await store.close?.()
    },
  }
}

/** The retention of `billing.usageRetention`; a ledger store without `pruneUsage` cannot honour it, and the config is refused. */
function usageRetention(ledger: LedgerStoreV1, ir: MeshIR, now: () => number, onError: (error: unknown) => void): UsageRetention | undefined {
  const { usageRetentionMs, usageRetentionIntervalMs } = ir.billing
  if (usageRetentionMs === undefined) return undefined
  const issues: ConfigIssue[] = []
  const pruneUsage = ledger.pruneUsage
  if (typeof pruneUsage !== 'function') {
    const found = ir.stores.ledger ? `${ir.stores.ledger.package} (no pruneUsage)` : 'the in-memory ledger (no pruneUsage)'
    issues.push({ path: 'billing.usageRetention', expected: 'a ledger store that can delete usage events (pruneUsage)', found })
  }
  if (usageRetentionMs <= 0) issues.push({ path: 'billing.usageRetention', expected: 'a duration above 0', found: String(usageRetentionMs) })
  if (usageRetentionIntervalMs <= 0) issues.push({ path: 'billing.usageRetentionInterval', expected: 'a duration above 0', found: String(usageRetentionIntervalMs) })
  if (issues.length > 0 || typeof pruneUsage !== 'function') throw new ConfigError(issues)
  return new UsageRetention((before) => pruneUsage.call(ledger, before), { retentionMs: usageRetentionMs, intervalMs: usageRetentionIntervalMs, now, onError })
}
