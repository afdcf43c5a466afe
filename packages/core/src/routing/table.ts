import type { DeploymentRef } from '../contracts/provider.js'
import type { MeshIR, RetryIR, TimeoutIR } from '../config/normalize.js'

export interface PoolMember {
  readonly deployment: DeploymentRef
  readonly priority: number
  readonly weight: number
  readonly cacheGroup: string
}

export interface Pool {
  readonly name: string
  readonly members: readonly PoolMember[]
  readonly selection: 'priority' | 'weighted'
  readonly retry: Readonly<RetryIR>
  readonly timeout: Readonly<TimeoutIR>
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

export function buildRoutingTable(ir: MeshIR): RoutingTable {
  const deployments = new Map<string, DeploymentRef>()
  const pools = new Map<string, Pool>()
  for (const [name, pool] of Object.entries(ir.models)) {
    const members: PoolMember[] = []
    for (const target of pool.targets) {
      // A keyless provider (Ollama, vLLM) still gives one deployment.
      const keys = Math.max(1, ir.providers[target.provider]?.keyCount ?? 1)
      for (let keyIndex = 0; keyIndex < keys; keyIndex++) {
        const id = deploymentId(target.provider, target.model, keyIndex)
        let deployment = deployments.get(id)
        if (!deployment) {
          deployment = deepFreeze({ id, provider: target.provider, model: target.model, keyIndex })
          deployments.set(id, deployment)
        }
        members.push({ deployment, priority: target.priority, weight: target.weight / keys, cacheGroup: `${target.provider}/${target.model}` })
      }
    }
    pools.set(name, deepFreeze({ name, members, selection: pool.selection, retry: pool.retry, timeout: pool.timeout }))
  }
  return Object.freeze({ pools, deployments, publicModels: Object.freeze(Object.keys(ir.models)) })
}
