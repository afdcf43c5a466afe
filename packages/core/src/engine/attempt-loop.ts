import type { DeploymentRef } from '../contracts/provider.js'
import type { Pool } from '../routing/table.js'
import type { AttemptFailure, AttemptRecord } from './attempt-failure.js'
import { describeFailure } from './attempt-failure.js'
import { retryDelayMs } from './backoff.js'

export interface PlannedCandidate {
  readonly deployment: DeploymentRef
  readonly pool: Pool
}

/** What one attempt produced: a value to answer with, a failure to route around, or a final answer. */
export type AttemptResult<T> =
  | { readonly kind: 'success'; readonly value: T; readonly status: number }
  /** The upstream rejected the request itself (e.g. 400): answer the client with it, try nobody else. */
  | { readonly kind: 'final'; readonly value: T; readonly status: number; readonly failure: AttemptFailure }
  | { readonly kind: 'failure'; readonly failure: AttemptFailure }

export interface LoopClock {
  now(): number
  sleep(ms: number): Promise<void>
  random(): number
}

export interface LoopOutcome<T> {
  readonly result?: { value: T; status: number; deployment: DeploymentRef }
  readonly attempts: AttemptRecord[]
  /**
   * Time the attempts spent waiting for the upstream, in fractional ms of the monotonic clock: what
   * the gateway's overhead excludes. Each attempt's share comes from `upstreamShare` (by default the
   * whole attempt). Backoff waits between attempts are not in it.
   */
  readonly upstreamMs: number
}

interface FailedCandidate {
  candidate: PlannedCandidate
  failure: AttemptFailure
  /** When a retry may start: backoff with jitter, floored by `Retry-After`; drawn once per failure. */
  readyAt: number
  retries: number
}

/** A failure worth trying the same deployment again for, per the pool's retry rules. */
function retryable(f: FailedCandidate): boolean {
  const { classification, failure } = f.failure
  if (!classification.retryable || classification.scope === 'key' || classification.scope === 'model') return false
  if (failure.status !== undefined && !f.candidate.pool.retry.on.includes(failure.status)) return false
  return (classification.retryAfterMs ?? 0) <= f.candidate.pool.retry.maxRetryAfterMs
}

/**
 * Try each candidate once, in order (failover); then spend up to `retry.attempts` of the first
 * pool on re-trying the failed deployments that may recover, earliest-ready first, after an
 * exponential backoff with jitter that never undercuts the upstream's `Retry-After`.
 */
export async function runAttempts<T>(
  candidates: readonly PlannedCandidate[],
  attempt: (candidate: PlannedCandidate) => Promise<AttemptResult<T>>,
  clock: LoopClock,
  /** The upstream's share of the attempt that just ended, which took `elapsedMs` and ended at `now` (`performance.now()`). */
  upstreamShare: (elapsedMs: number, now: number) => number = (elapsedMs) => elapsedMs,
): Promise<LoopOutcome<T>> {
  const attempts: AttemptRecord[] = []
  const failed: FailedCandidate[] = []
  let upstreamMs = 0
  const readyAt = (candidate: PlannedCandidate, failure: AttemptFailure, retry: number) =>
    clock.now() + retryDelayMs(retry, candidate.pool.retry, failure.classification.retryAfterMs, clock.random)

  const run = async (candidate: PlannedCandidate): Promise<LoopOutcome<T> | AttemptFailure> => {
    const started = clock.now()
    const startedHiRes = performance.now()
    const result = await attempt(candidate)
    const endedHiRes = performance.now()
    upstreamMs += upstreamShare(endedHiRes - startedHiRes, endedHiRes)
    const durationMs = clock.now() - started
    if (result.kind === 'failure') {
      const retryAfterMs = result.failure.classification.retryAfterMs
      attempts.push({ deployment: candidate.deployment, ok: false, status: result.failure.failure.status, reason: describeFailure(result.failure), durationMs, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
      return result.failure
    }
    attempts.push({
      deployment: candidate.deployment,
      ok: result.kind === 'success',
      status: result.status,
      reason: result.kind === 'success' ? 'ok' : describeFailure(result.failure),
      durationMs,
    })
    return { result: { value: result.value, status: result.status, deployment: candidate.deployment }, attempts, upstreamMs }
  }

  for (const candidate of candidates) {
    const outcome = await run(candidate)
    if ('attempts' in outcome) return outcome
    failed.push({ candidate, failure: outcome, readyAt: readyAt(candidate, outcome, 1), retries: 0 })
  }

  const first = candidates[0]
  let budget = first ? first.pool.retry.attempts : 0
  while (budget > 0) {
    let next: FailedCandidate | undefined
    let nextReadyAt = Infinity
    for (const f of failed) {
      if (retryable(f) && f.readyAt < nextReadyAt) [next, nextReadyAt] = [f, f.readyAt]
    }
    if (!next) break
    budget--
    const wait = nextReadyAt - clock.now()
    if (wait > 0) await clock.sleep(wait)
    const outcome = await run(next.candidate)
    if ('attempts' in outcome) return outcome
    next.failure = outcome
    next.retries++
    next.readyAt = readyAt(next.candidate, outcome, next.retries + 1)
  }
  return { attempts, upstreamMs }
}
