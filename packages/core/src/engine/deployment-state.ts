import type { DeploymentRef } from '../contracts/provider.js'
import type { DeploymentState } from '../contracts/rotation-policy.js'

const EWMA_ALPHA = 0.2

/** Runtime state of every deployment, kept apart from the frozen routing table. */
export class DeploymentStates {
  private readonly states = new Map<string, DeploymentState>()

  constructor(deployments: Iterable<DeploymentRef>) {
    for (const deployment of deployments) {
      this.states.set(deployment.id, { deployment, status: 'active', consecutiveFailures: 0, inFlight: 0, requests: 0, failures: 0 })
    }
  }

  get(id: string): DeploymentState {
    const state = this.states.get(id)
    if (!state) throw new Error(`unknown deployment ${id}`)
    return state
  }

  all(): IterableIterator<DeploymentState> {
    return this.states.values()
  }

  begin(id: string): void {
    const s = this.get(id)
    s.inFlight++
    s.requests++
  }

  succeed(id: string, latencyMs: number, now: number): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
    s.consecutiveFailures = 0
    s.lastSuccessAt = now
    s.latencyEwmaMs = s.latencyEwmaMs === undefined ? latencyMs : s.latencyEwmaMs + EWMA_ALPHA * (latencyMs - s.latencyEwmaMs)
  }

  /** End an attempt without judging the deployment (the request itself was at fault). */
  release(id: string): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
  }

  fail(id: string, now: number): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
    s.consecutiveFailures++
    s.failures++
    s.lastFailureAt = now
  }
}
