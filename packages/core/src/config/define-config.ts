import type { ProviderV1 } from '../contracts/provider.js'
import type { SecretRef } from '../contracts/secret-ref.js'
import type { CounterStoreV1 } from '../contracts/counter-store.js'
import type { LedgerStoreV1 } from '../contracts/ledger-store.js'
import type { SecretStoreV1 } from '../contracts/secret-store.js'
import type { StateStoreV1 } from '../contracts/state-store.js'
import type { MeshConfigJson, ModelConfig } from './schema.js'

/** The TypeScript form of `mesh.config.ts`: plugins are instances. */
export interface MeshConfig {
  server?: MeshConfigJson['server']
  /** Secret stores, tried in order. Default: `[envSecrets()]`. */
  secrets?: SecretStoreV1[]
  providers: Record<string, ProviderV1>
  models: Record<string, ModelConfig>
  defaults?: MeshConfigJson['defaults']
  rotation?: MeshConfigJson['rotation']
  discovery?: MeshConfigJson['discovery']
  auth?: MeshConfigJson['auth']
  /** Where state, the ledger and counters live (default: in memory). One store may play several roles. */
  stores?: { state?: StateStoreV1; ledger?: LedgerStoreV1; counters?: CounterStoreV1 }
  billing?: MeshConfigJson['billing']
  admin?: MeshConfigJson['admin']
}

/**
 * Declare a gateway config. Returns it unchanged, typed, so public model names are known to
 * TypeScript (`keyof typeof config.models`).
 */
export function defineConfig<const T extends MeshConfig>(config: T): T {
  return config
}

/** Reference a secret by name; resolved at start-up through the configured secret stores. */
export function secret(name: string): SecretRef {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('secret(name) needs a non-empty name')
  return { $secret: name }
}
