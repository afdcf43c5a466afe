import type { RoutingTable } from '../routing/table.js'
import type { DeploymentStates } from './deployment-state.js'
import type { Plan } from './planner.js'

export interface Explanation {
  readonly candidates: Array<{ rank: number; deployment: string; provider: string; model: string; pool: string; score: number; why: string }>
  readonly excluded: Plan['excluded']
}

export function explainPlan(plan: Plan): Explanation {
  return {
    candidates: plan.candidates.map((c, i) => ({ rank: i + 1, deployment: c.deployment.id, provider: c.deployment.provider, model: c.deployment.model, pool: c.pool.name, score: c.score, why: c.why })),
    excluded: plan.excluded,
  }
}

export interface PoolStatus {
  readonly pool: string
  readonly selection: string
  readonly members: Array<{
    deployment: string
    status: 'active' | 'standby'
    reason: string | null
    cooldownLeftMs: number | null
    breaker: string
    latencyEwmaMs: number | null
    inFlight: number
    consecutiveFailures: number
    requests: number
    failures: number
  }>
}

export function poolStatus(table: RoutingTable, states: DeploymentStates, now: number): PoolStatus[] {
  return [...table.pools.values()].map((pool) => ({
    pool: pool.name,
    selection: pool.selection,
    members: pool.members.map((m) => {
      const s = states.get(m.deployment.id)
      return {
        deployment: m.deployment.id,
        status: s.status,
        reason: s.reason ?? null,
        cooldownLeftMs: s.standbyUntil !== undefined ? Math.max(0, s.standbyUntil - now) : null,
        breaker: s.breaker,
        latencyEwmaMs: s.latencyEwmaMs ?? null,
        inFlight: s.inFlight,
        consecutiveFailures: s.consecutiveFailures,
        requests: s.requests,
        failures: s.failures,
      }
    }),
  }))
}
