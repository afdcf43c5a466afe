import type { DeploymentRef } from '../contracts/provider.js'
import type { DeploymentState, RateLimitSnapshot } from '../contracts/rotation-policy.js'

const EWMA_ALPHA = 0.3
const RECENT_CAP = 1000

/** An event about a deployment's health, for logs, sinks and tests. */
export interface RotationEvent {
  readonly type: 'deployment.standby' | 'deployment.active' | 'deployment.half-open' | 'model.new' | 'model.deprecated' | 'model.removed'
  readonly deployment?: string
  readonly provider?: string
  readonly model?: string
  readonly reason?: string
  readonly at: number
}

function freshState(deployment: DeploymentRef, now: number): DeploymentState {
  return {
    deployment,
    status: 'active',
    breaker: 'closed',
    consecutiveFailures: 0,
    inFlight: 0,
    requests: 0,
    failures: 0,
    recent: [],
    quota: { windowStart: now, requests: 0, tokens: 0, costUsd: 0 },
    recentStarts: [],
  }
}

/** Append, keeping about the last RECENT_CAP items: trimmed in bulk, not by one shift per request. */
function pushCapped<T>(list: T[], item: T): void {
  list.push(item)
  if (list.length >= 2 * RECENT_CAP) list.splice(0, list.length - RECENT_CAP)
}

type Outcome = [number, 0 | 1]

/**
 * Outcome tuples trimmed from a deployment's `recent`, reused by the next outcomes of any
 * deployment. A tuple stays in `recent` for RECENT_CAP to 2 × RECENT_CAP requests (a second or two
 * under load): long enough to be promoted to V8's old generation, so a new one per request grew
 * the old space by ~64 bytes a request and brought the next mark-compact sooner (bench/README,
 * sixth session of 2026-12-03). A tuple read from `recent` is the deployment's until it is
 * trimmed; after that it is overwritten.
 */
const spareOutcomes: Outcome[] = []

function retireOutcomes(tuples: Outcome[]): void {
  for (const tuple of tuples) {
    if (spareOutcomes.length >= 2 * RECENT_CAP) return
    spareOutcomes.push(tuple)
  }
}

/** `pushCapped` for `recent`, in a reused tuple when there is one. */
function pushOutcome(list: Outcome[], at: number, bad: 0 | 1): void {
  const tuple = spareOutcomes.pop()
  if (tuple) {
    tuple[0] = at
    tuple[1] = bad
    list.push(tuple)
  } else list.push([at, bad])
  if (list.length >= 2 * RECENT_CAP) retireOutcomes(list.splice(0, list.length - RECENT_CAP))
}

/** Runtime state of every deployment, kept apart from the frozen routing table. */
export class DeploymentStates {
  private readonly states = new Map<string, DeploymentState>()
  private readonly listeners: Array<(event: RotationEvent) => void> = []

  constructor(deployments: Iterable<DeploymentRef>, now: number) {
    for (const deployment of deployments) this.states.set(deployment.id, freshState(deployment, now))
  }

  add(deployment: DeploymentRef, now: number): void {
    if (!this.states.has(deployment.id)) this.states.set(deployment.id, freshState(deployment, now))
  }

  get(id: string): DeploymentState {
    const state = this.states.get(id)
    if (!state) throw new Error(`unknown deployment ${id}`)
    return state
  }

  all(): IterableIterator<DeploymentState> {
    return this.states.values()
  }

  onEvent(listener: (event: RotationEvent) => void): void {
    this.listeners.push(listener)
  }

  emit(event: RotationEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  begin(id: string, now: number): void {
    const s = this.get(id)
    s.inFlight++
    s.requests++
    pushCapped(s.recentStarts, now)
  }

  succeed(id: string, latencyMs: number, now: number): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
    s.consecutiveFailures = 0
    s.lastSuccessAt = now
    s.latencyEwmaMs = s.latencyEwmaMs === undefined ? latencyMs : s.latencyEwmaMs + EWMA_ALPHA * (latencyMs - s.latencyEwmaMs)
    pushOutcome(s.recent, now, 0)
    if (s.breaker === 'half-open') this.activate(s, now, 'half-open request succeeded')
  }

  /** End an attempt without judging the deployment (the request itself was at fault). */
  release(id: string): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
  }

  /** A failed attempt; `counts` says whether it counts toward deactivation (per `errorCodes`). */
  fail(id: string, now: number, counts = true): void {
    const s = this.get(id)
    s.inFlight = Math.max(0, s.inFlight - 1)
    s.failures++
    s.lastFailureAt = now
    if (!counts) return
    s.consecutiveFailures++
    pushOutcome(s.recent, now, 1)
  }

  recordRateLimit(id: string, snapshot: RateLimitSnapshot): void {
    this.get(id).rateLimit = snapshot
  }

  standby(s: DeploymentState, now: number, reason: string, until: number | undefined): void {
    const changed = s.status !== 'standby' || s.reason !== reason
    s.status = 'standby'
    s.breaker = 'open'
    s.reason = reason
    s.standbySince = now
    s.standbyUntil = until
    if (changed) this.emit({ type: 'deployment.standby', deployment: s.deployment.id, provider: s.deployment.provider, model: s.deployment.model, reason, at: now })
  }

  halfOpen(s: DeploymentState, now: number): void {
    s.breaker = 'half-open'
    this.emit({ type: 'deployment.half-open', deployment: s.deployment.id, reason: s.reason, at: now })
  }

  activate(s: DeploymentState, now: number, reason: string): void {
    const changed = s.status !== 'active' || s.breaker !== 'closed'
    s.status = 'active'
    s.breaker = 'closed'
    s.consecutiveFailures = 0
    retireOutcomes(s.recent.splice(0))
    delete s.reason
    delete s.standbySince
    delete s.standbyUntil
    if (changed) this.emit({ type: 'deployment.active', deployment: s.deployment.id, provider: s.deployment.provider, model: s.deployment.model, reason, at: now })
  }
}
