import { Cron } from 'croner'
import type { MeshIR } from '../config/normalize.js'
import type { DeploymentState } from '../contracts/rotation-policy.js'
import type { Usage } from '../contracts/usage.js'
import type { Pool } from '../routing/table.js'
import type { AttemptFailure } from './attempt-failure.js'
import type { DeploymentStates } from './deployment-state.js'

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string }

const AVAILABLE: Availability = { ok: true }
/** Standby reasons that only a probe or an operator clears, never a timer. */
const STICKY = new Set(['key_refused', 'manual', 'model_removed', 'model_deprecated'])

/** The last answer of `nextQuotaWindow` per window kind (every deployment of a pool shares its window start). */
const lastWindowEnd = { daily: { start: Number.NaN, end: 0 }, monthly: { start: Number.NaN, end: 0 } }

/**
 * Start of the quota window after the one starting at `start` (UTC). Asked for every deployment
 * of a pool on every request (availability), almost always with the same `start`: the calendar
 * arithmetic (a `Date` and four UTC calls, ~0.15 µs) runs once per window start, not per call.
 */
export function nextQuotaWindow(start: number, window: 'daily' | 'monthly'): number {
  const last = lastWindowEnd[window]
  if (last.start === start) return last.end
  const d = new Date(start)
  const end = window === 'daily' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
  last.start = start
  last.end = end
  return end
}

function quotaWindowStart(now: number, window: 'daily' | 'monthly'): number {
  const d = new Date(now)
  return window === 'daily' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

const crons = new Map<string, Cron>()

/** A maintenance window's answer and the span of time it holds for. */
interface WindowAnswer {
  readonly from: number
  readonly until: number
  readonly end: number | undefined
}
const windowAnswers = new WeakMap<object, WindowAnswer>()

/**
 * End of the maintenance window `now` falls in, or undefined when outside every window. Asked for
 * every deployment of a pool on every request; the answer only changes when a window opens or
 * closes, so it is kept (per window object) until then — croner's nextRun costs ~0.25 ms, and a
 * pool of ten deployments with a window took 2.5 ms per routing decision.
 */
export function maintenanceEnd(maintenance: { readonly cron: string; readonly durationMs: number }, now: number): number | undefined {
  const known = windowAnswers.get(maintenance)
  if (known && now >= known.from && now < known.until) return known.end
  let cron = crons.get(maintenance.cron)
  if (!cron) crons.set(maintenance.cron, (cron = new Cron(maintenance.cron, { timezone: 'UTC', paused: true })))
  // The first run after (now − duration) is at or before now exactly when a window is open. It
  // stays the same run until that window closes (inside one) or opens (outside any).
  const start = cron.nextRun(new Date(now - maintenance.durationMs))?.getTime()
  const end = start !== undefined && start <= now ? start + maintenance.durationMs : undefined
  windowAnswers.set(maintenance, { from: now, until: end ?? start ?? Number.POSITIVE_INFINITY, end })
  return end
}

/**
 * The config-driven rotation policy: when a deployment goes to standby (deactivation), when it
 * may serve again (recovery), applied with the rules of the pool a request came through.
 */
export class Rotation {
  constructor(
    private readonly states: DeploymentStates,
    private readonly rules: MeshIR['rotation'],
    /** Ask for a health probe of a deployment (the engine runs it off the request path). */
    private readonly requestProbe: (id: string) => void,
  ) {}

  /**
   * Whether a deployment may take a request now; moves it between states as time passes.
   * With `apply: false` (explain) the answer is the same but nothing changes.
   */
  availability(s: DeploymentState, pool: Pool, now: number, apply = true, maintenance = pool.deactivate.maintenance): Availability {
    let status = s.status
    let reason = s.reason
    if (maintenance) {
      const end = maintenanceEnd(maintenance, now)
      if (end !== undefined) {
        if (apply && reason !== 'maintenance') this.states.standby(s, now, 'maintenance', end)
        return { ok: false, reason: `maintenance window until ${new Date(end).toISOString()}` }
      }
      if (status === 'standby' && reason === 'maintenance') {
        if (apply) this.states.activate(s, now, 'maintenance window over')
        status = 'active'
      }
    }
    if (now >= nextQuotaWindow(s.quota.windowStart, pool.deactivate.quotaWindow)) {
      if (apply) s.quota = { windowStart: quotaWindowStart(now, pool.deactivate.quotaWindow), requests: 0, tokens: 0, costUsd: 0 }
      if (status === 'standby' && reason === 'quota' && pool.recover.onQuotaReset) {
        if (apply) this.states.activate(s, now, 'quota reset')
        status = 'active'
      }
    }
    if (status === 'active') return AVAILABLE
    reason ??= 'standby'
    if (STICKY.has(reason)) return { ok: false, reason }
    if (s.standbyUntil !== undefined && now < s.standbyUntil) return { ok: false, reason: `${reason}; cooldown ${Math.ceil(s.standbyUntil - now)} ms left` }
    if (pool.recover.probe || reason === 'provider_outage') {
      if (apply) this.requestProbe(s.deployment.id)
      return { ok: false, reason: `${reason}; awaiting a passing probe` }
    }
    if (apply && s.breaker !== 'half-open') this.states.halfOpen(s, now)
    return s.inFlight === 0 ? AVAILABLE : { ok: false, reason: `${reason}; half-open, probe request in flight` }
  }

  /** The deployment answered (first byte): count the request against its quota window. */
  afterSuccess(s: DeploymentState, pool: Pool, latencyMs: number, now: number): void {
    this.states.succeed(s.deployment.id, latencyMs, now)
    s.quota.requests++
    this.checkQuota(s, pool, now)
  }

  /** The response is complete: count its tokens and cost against the quota window. */
  recordUsage(s: DeploymentState, pool: Pool, usage: Usage | undefined, costUsd: number | undefined, now: number): void {
    s.quota.tokens += (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0)
    s.quota.costUsd += costUsd ?? 0
    this.checkQuota(s, pool, now)
  }

  private checkQuota(s: DeploymentState, pool: Pool, now: number): void {
    const d = pool.deactivate
    const over =
      (d.requestLimit !== undefined && s.quota.requests >= d.requestLimit) ||
      (d.tokenLimit !== undefined && s.quota.tokens >= d.tokenLimit) ||
      (d.budgetLimitUsd !== undefined && s.quota.costUsd >= d.budgetLimitUsd)
    if (over && s.status === 'active') this.states.standby(s, now, 'quota', nextQuotaWindow(s.quota.windowStart, d.quotaWindow))
  }

  afterFailure(s: DeploymentState, pool: Pool, failure: AttemptFailure, now: number): void {
    const { status } = failure.failure
    const scope = failure.classification.scope
    if (scope === 'request') {
      this.states.release(s.deployment.id)
      return
    }
    const counts = status === undefined || pool.deactivate.errorCodes.includes(status)
    this.states.fail(s.deployment.id, now, counts)
    const until = now + pool.recover.cooldownMs
    if (scope === 'key' && (status === 401 || status === 403)) {
      // A refused key is refused for every model: take all its deployments out.
      for (const other of this.states.all()) {
        if (other.deployment.provider === s.deployment.provider && other.deployment.keyIndex === s.deployment.keyIndex) this.states.standby(other, now, 'key_refused', undefined)
      }
      return
    }
    if (scope === 'model') return this.states.standby(s, now, 'model_unavailable', until)
    if (status === undefined && !failure.failure.timeout && this.rules.providerDeactivation.includes('api-outage')) {
      const threshold = pool.deactivate.consecutiveFailures ?? 3
      if (s.consecutiveFailures >= threshold) {
        for (const other of this.states.all()) if (other.deployment.provider === s.deployment.provider) this.states.standby(other, now, 'provider_outage', until)
        return
      }
    }
    if (!counts) return
    if (s.breaker === 'half-open') return this.states.standby(s, now, s.reason ?? 'half-open probe failed', until)
    const d = pool.deactivate
    if (d.consecutiveFailures !== undefined && s.consecutiveFailures >= d.consecutiveFailures) return this.states.standby(s, now, 'consecutive_failures', until)
    if (d.errorRate) {
      const since = now - d.errorRate.windowMs
      let total = 0
      let failed = 0
      for (const [at, bad] of s.recent) {
        if (at < since) continue
        total++
        failed += bad
      }
      if (total >= d.errorRate.minRequests && failed / total >= d.errorRate.threshold) this.states.standby(s, now, 'error_rate', until)
    }
  }
}
