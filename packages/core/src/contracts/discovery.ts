import type { ModelInfo } from './model-info.js'
import type { DeploymentRef } from './provider.js'

export interface CatalogueChange {
  readonly provider: string
  readonly added: readonly ModelInfo[]
  readonly deprecated: readonly string[]
  readonly removed: readonly string[]
}

export interface ProbeResult {
  readonly deployment: DeploymentRef
  readonly ok: boolean
  readonly latencyMs: number
  readonly status?: number
  readonly checkedAt: number
}

/** Catalogue sync and health probing, feeding the rotation policy. */
export interface DiscoveryV1 {
  readonly specificationVersion: 'mesh.discovery.v1'
  /** Compare provider catalogues with the known models; `onNew` decides register / notify / deactivate. */
  sync(): Promise<CatalogueChange[]>
  /** Probe one deployment's health with a minimal request. */
  probe(deployment: DeploymentRef): Promise<ProbeResult>
}
