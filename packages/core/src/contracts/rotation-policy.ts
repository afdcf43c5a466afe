import type { ModelPricing } from './model-info.js'
import type { DeploymentRef } from './provider.js'

export type BreakerState = 'closed' | 'open' | 'half-open'

/** Rate-limit headroom learned from upstream `x-ratelimit-*` headers. */
export interface RateLimitSnapshot {
  limitRequests?: number
  remainingRequests?: number
  limitTokens?: number
  remainingTokens?: number
  /** Epoch ms when the request window resets. */
  resetRequestsAt?: number
  observedAt: number
}

/** What the engine tracks of one deployment; the policy reads it, the engine writes it. */
export interface DeploymentState {
  readonly deployment: DeploymentRef
  status: 'active' | 'standby'
  /** Why it is on standby (`consecutive_failures`, `error_rate`, `maintenance`, `quota`, `key_refused`, `manual`, …). */
  reason?: string
  standbySince?: number
  /** Earliest time recovery may be considered (cooldown end, quota reset). */
  standbyUntil?: number
  breaker: BreakerState
  consecutiveFailures: number
  lastFailureAt?: number
  lastSuccessAt?: number
  /** Exponentially weighted moving average of attempt latency to first byte (ms). */
  latencyEwmaMs?: number
  /** EWMA of output tokens per second, for `sort: throughput`. */
  throughputEwma?: number
  inFlight: number
  requests: number
  failures: number
  /** Recent outcomes for error-rate windows: [epoch ms, 1 = failure | 0 = success], oldest first. A tuple trimmed from the window is reused for a later outcome: copy one to keep it. */
  recent: Array<[number, 0 | 1]>
  /** Usage within the current quota window (free-tier caps). */
  quota: { windowStart: number; requests: number; tokens: number; costUsd: number }
  rateLimit?: RateLimitSnapshot
  /** Epoch ms of recent request starts, for `maxRpm` and `minDelta`. */
  recentStarts: number[]
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
  readonly pricing?: ModelPricing
  readonly maxRpm?: number
  readonly zeroDataRetention?: boolean
}

export interface SelectionRequest {
  readonly publicModel: string
  /** Client session (`x-session-id`) or a fingerprint of the prompt prefix, for cache affinity. */
  readonly affinityKey?: string
  /** Estimated input tokens of the request (for cache-saving estimates). */
  readonly inputTokens?: number
  readonly now: number
  /** A uniform random number in [0, 1) for this decision, so tests can fix it. */
  readonly random: () => number
}

export interface DeactivationPolicy {
  /** A reason to put the deployment on standby, or undefined to keep it active. */
  shouldDeactivate(state: Readonly<DeploymentState>, now: number): string | undefined
}

export interface RecoveryPolicy {
  /** Whether a standby deployment may serve again (possibly half-open, after a probe). */
  shouldRecover(state: Readonly<DeploymentState>, now: number): boolean
}

/** An ordering with the score of each candidate (higher is better) and why. */
export interface ScoredCandidate {
  readonly candidate: Candidate
  readonly score: number
  readonly why: string
}

export interface SelectionStrategy {
  readonly name: string
  /** Order the active candidates, best first, with scores for explain. Must not mutate the input. */
  select(candidates: readonly Candidate[], request: SelectionRequest): ScoredCandidate[]
}

/** Three replaceable parts: when to deactivate, when to recover, whom to pick. */
export interface RotationPolicyV1 {
  readonly specificationVersion: 'mesh.rotation.v1'
  readonly deactivation: DeactivationPolicy
  readonly recovery: RecoveryPolicy
  readonly selection: SelectionStrategy
}
