import type { DeploymentRef } from './provider.js'

/** What the engine tracks of one deployment; the policy reads it, the engine writes it. */
export interface DeploymentState {
  readonly deployment: DeploymentRef
  status: 'active' | 'standby'
  /** Why it is on standby. */
  reason?: string
  standbySince?: number
  consecutiveFailures: number
  lastFailureAt?: number
  lastSuccessAt?: number
  /** Exponentially weighted moving average of attempt latency (ms). */
  latencyEwmaMs?: number
  inFlight: number
  requests: number
  failures: number
}

/** One routable candidate handed to selection. */
export interface Candidate {
  readonly deployment: DeploymentRef
  readonly state: Readonly<DeploymentState>
  /** Lower comes first (target order in the config). */
  readonly priority: number
  readonly weight: number
  /** Cache group shared by deployments hitting the same upstream prompt cache. */
  readonly cacheGroup: string
}

export interface SelectionRequest {
  readonly publicModel: string
  readonly sessionId?: string
  /** A uniform random number in [0, 1) for this decision, so tests can fix it. */
  readonly random: () => number
}

export interface DeactivationPolicy {
  /** A reason to put the deployment on standby, or undefined to keep it active. */
  shouldDeactivate(state: Readonly<DeploymentState>, now: number): string | undefined
}

export interface RecoveryPolicy {
  /** Whether a standby deployment may serve again. */
  shouldRecover(state: Readonly<DeploymentState>, now: number): boolean
}

export interface SelectionStrategy {
  readonly name: string
  /** Order the active candidates, best first. Must not mutate the input. */
  select(candidates: readonly Candidate[], request: SelectionRequest): Candidate[]
  /** A score for explain output (higher is better). */
  score?(candidate: Candidate, request: SelectionRequest): number
}

/** Three replaceable parts: when to deactivate, when to recover, whom to pick. */
export interface RotationPolicyV1 {
  readonly specificationVersion: 'mesh.rotation.v1'
  readonly deactivation: DeactivationPolicy
  readonly recovery: RecoveryPolicy
  readonly selection: SelectionStrategy
}
