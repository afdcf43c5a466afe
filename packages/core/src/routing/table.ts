import type { ModelPricing } from '../contracts/model-info.js'
import type { DeploymentRef } from '../contracts/provider.js'
import type { MeshIR, PoolIR } from '../config/normalize.js'

export interface PoolMember {
  readonly deployment: DeploymentRef
  readonly priority: number
  readonly weight: number
  readonly cacheGroup: string
  readonly maxRpm?: number
  readonly zeroDataRetention?: boolean
  /** Price from the target config; the engine falls back to the provider catalogue. */
  readonly pricing?: ModelPricing
  /** This target's own maintenance window (the pool's applies otherwise). */
  readonly maintenance?: { readonly cron: string; readonly durationMs: number }
}

/** A public model's pool: its members and the pool's rules, straight from the IR. */
export interface Pool extends Readonly<Omit<PoolIR, 'targets'>> {
  readonly name: string
  readonly members: readonly PoolMember[]
}

/** The frozen routing table: public model → pool, in O(1). Built from the IR alone. */
export interface RoutingTable {
  readonly pools: ReadonlyMap<string, Pool>
  readonly deployments: ReadonlyMap<string, DeploymentRef>
  readonly publicModels: readonly string[]
}

export function deploymentId(provider: string, model: string, keyIndex: number): string {
  return `${provider}/${model}#${keyIndex}`
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Members of one pool: every target × every key of its provider. */
export function poolMembers(pool: PoolIR, keyCount: (provider: string) => number, deployments: Map<string, DeploymentRef>): PoolMember[] {
  const members: PoolMember[] = []
  for (const target of pool.targets) {
    // A keyless provider (Ollama, vLLM) still gives one deployment.
    const keys = Math.max(1, keyCount(target.provider))
    for (let keyIndex = 0; keyIndex < keys; keyIndex++) {
      const id = deploymentId(target.provider, target.model, keyIndex)
      let deployment = deployments.get(id)
      if (!deployment) {
        deployment = deepFreeze({ id, provider: target.provider, model: target.model, keyIndex })
        deployments.set(id, deployment)
      }
      members.push({
        deployment,
        priority: target.priority,
        weight: target.weight / keys,
        cacheGroup: `${target.provider}/${target.model}`,
        ...(target.maxRpm !== undefined ? { maxRpm: target.maxRpm } : {}),
        ...(target.zeroDataRetention !== undefined ? { zeroDataRetention: target.zeroDataRetention } : {}),
        ...(target.pricing ? { pricing: target.pricing } : {}),
        ...(target.maintenance ? { maintenance: target.maintenance } : {}),
      })
    }
  }
  return members
}

export function buildRoutingTable(ir: MeshIR): RoutingTable {
  const deployments = new Map<string, DeploymentRef>()
  const pools = new Map<string, Pool>()
  const keyCount = (provider: string) => ir.providers[provider]?.keyCount ?? 1
  for (const [name, pool] of Object.entries(ir.models)) {
    const { targets: _targets, ...rules } = pool
    pools.set(name, deepFreeze({ ...rules, name, members: poolMembers(pool, keyCount, deployments) }))
  }
  return Object.freeze({ pools, deployments, publicModels: Object.freeze(Object.keys(ir.models)) })
}
