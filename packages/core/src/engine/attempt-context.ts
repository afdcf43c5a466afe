import type { UpstreamFailure } from '../contracts/error-classification.js'
import type { DeploymentRef, ProviderCallContext, ProviderV1 } from '../contracts/provider.js'
import type { IngressDialect } from '../dialects/ingress-dialect.js'
import type { TimeoutIR } from '../config/normalize.js'
import type { Pool } from '../routing/table.js'
import { CallAbort, engineCallContext, UpstreamWait } from '../upstream/call-abort.js'
import { classify } from './attempt-failure.js'
import type { AttemptResult, LoopClock } from './attempt-loop.js'
import type { DeploymentStates } from './deployment-state.js'
import { rateLimitFromHeaders } from './rate-limit-headers.js'
import type { Rotation } from './rotation.js'
import type { RelayOutcome, TextStream } from './stream-relay.js'

/** The attempt reason of a deployment skipped for a capability it lacks. */
export const UNSUPPORTED_FEATURE = 'unsupported_feature'

export interface ChatInput {
  readonly ingress: IngressDialect
  /** The parsed, validated client body. */
  readonly body: Readonly<Record<string, unknown>>
  /** Public models in fallback order (`models: [...]` with `route: "fallback"`, or just `model`). */
  readonly models: readonly string[]
  readonly stream: boolean
  readonly requestId: string
  /** Client session for cache affinity (`x-session-id`). */
  readonly sessionId?: string
  /** Per-request timeouts (ms); each can only lower the pool's configured value. */
  readonly timeouts?: Partial<TimeoutIR>
}

/** What a successful (or finally refused) attempt answers the client with. */
export interface AttemptAnswer {
  readonly status: number
  readonly contentType: string
  /** The whole answer, or a stream of SSE text pulled by the response writer. */
  readonly body: string | TextStream
  /** A JSON `body` as parsed by the gateway (never mutated): the handler adds `usage.cost` without parsing it again. */
  readonly json?: Readonly<Record<string, unknown>>
  /** Resolves when the response is complete (at stream end for streams). */
  readonly completion: Promise<RelayOutcome>
  /** What a cross-dialect translation could not carry to the provider (`x-mesh-warnings`). */
  readonly warnings?: readonly string[]
}

/**
 * The life of one attempt: its abort controller and timers, the call context, and how it ends.
 * Client disconnects never abort it: a paid-for generation is read to its end and billed.
 */
export class Attempt {
  /** Aborts the upstream call (timers, a relay that gives up); see {@link CallAbort}. */
  readonly abort = new CallAbort()
  /** How long the upstream kept this attempt waiting (the rest of its time is the gateway's). */
  readonly wait = new UpstreamWait()
  readonly ctx: ProviderCallContext
  readonly startedAt: number
  readonly timeouts: TimeoutIR
  private readonly totalTimer: NodeJS.Timeout
  private firstTokenTimer: NodeJS.Timeout | undefined

  constructor(
    readonly provider: ProviderV1,
    readonly deployment: DeploymentRef,
    readonly pool: Pool,
    readonly input: ChatInput,
    apiKey: string | undefined,
    private readonly states: DeploymentStates,
    private readonly rotation: Rotation,
    private readonly clock: LoopClock,
  ) {
    const own = input.timeouts ?? {}
    const t = pool.timeout
    this.timeouts = {
      connectMs: Math.min(own.connectMs ?? Infinity, t.connectMs),
      firstTokenMs: Math.min(own.firstTokenMs ?? Infinity, t.firstTokenMs),
      idleMs: Math.min(own.idleMs ?? Infinity, t.idleMs),
      totalMs: Math.min(own.totalMs ?? Infinity, t.totalMs),
    }
    this.ctx = engineCallContext(deployment, apiKey, input.requestId, this.timeouts.connectMs, this.abort, this.wait)
    this.startedAt = clock.now()
    this.totalTimer = setTimeout(() => this.abort.abort(new Error('total timeout')), this.timeouts.totalMs)
    // Non-streamed answers arrive whole, so only streams have a first-token deadline.
    if (input.stream) this.firstTokenTimer = setTimeout(() => this.abort.abort(new Error('first token timeout')), this.timeouts.firstTokenMs)
    states.begin(deployment.id, this.startedAt)
  }

  /** Which of our timers fired, if the call was aborted by one. */
  timeoutKind(): UpstreamFailure['timeout'] {
    if (!this.abort.aborted) return undefined
    return String((this.abort.reason as Error)?.message).startsWith('first') ? 'first-token' : 'total'
  }

  fail(failure: UpstreamFailure, reason?: string): AttemptResult<never> & { kind: 'failure' } {
    this.clearTimers()
    const timeout = failure.timeout ?? this.timeoutKind()
    const classified = classify(this.provider, timeout ? { ...failure, timeout } : failure)
    this.rotation.afterFailure(this.states.get(this.deployment.id), this.pool, classified, this.clock.now())
    return { kind: 'failure', failure: reason ? { ...classified, classification: { ...classified.classification, reason } } : classified }
  }

  /**
   * The request needs a feature this deployment does not declare: end the attempt without judging
   * the deployment (nothing was sent) and let the next candidate try.
   */
  unsupported(message: string): AttemptResult<never> & { kind: 'failure' } {
    this.release()
    return { kind: 'failure', failure: { failure: { cause: new Error(message) }, classification: { retryable: false, scope: 'request', reason: UNSUPPORTED_FEATURE } } }
  }

  /** The first byte is ready: the deployment answered. Streams keep their total timer until the end. */
  committed(): void {
    clearTimeout(this.firstTokenTimer)
    if (!this.input.stream) clearTimeout(this.totalTimer)
    const now = this.clock.now()
    this.rotation.afterSuccess(this.states.get(this.deployment.id), this.pool, now - this.startedAt, now)
  }

  /** Remember the upstream's rate-limit headroom for `rate-limit-headroom` selection. */
  observeHeaders(headers: Readonly<Record<string, string | undefined>>): void {
    const snapshot = rateLimitFromHeaders(headers, this.clock.now())
    if (snapshot) this.states.recordRateLimit(this.deployment.id, snapshot)
  }

  /** End the attempt without judging the deployment: the request was refused before or by translation. */
  release(): void {
    this.clearTimers()
    this.states.release(this.deployment.id)
  }

  clearTimers(): void {
    clearTimeout(this.firstTokenTimer)
    clearTimeout(this.totalTimer)
  }
}
