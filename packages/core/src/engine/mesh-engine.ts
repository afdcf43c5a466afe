import type { MeshIR } from '../config/normalize.js'
import type { DeploymentRef, ProviderV1 } from '../contracts/provider.js'
import { GatewayError } from '../errors/gateway-error.js'
import { costOf } from '../pricing/pricing.js'
import type { RoutingTable } from '../routing/table.js'
import { canonicalAttempt } from './attempt-canonical.js'
import { Attempt, UNSUPPORTED_FEATURE, type AttemptAnswer, type ChatInput } from './attempt-context.js'
import type { AttemptRecord } from './attempt-failure.js'
import { runAttempts, type AttemptResult, type LoopClock } from './attempt-loop.js'
import { passthroughAttempt } from './attempt-passthrough.js'
import { DeploymentStates } from './deployment-state.js'
import { explainPlan, poolStatus, type Explanation, type PoolStatus } from './explain.js'
import { Health } from './health.js'
import { Planner, type PlanEntry } from './planner.js'
import { providerPreferences } from './request-routing.js'
import { Rotation } from './rotation.js'

export type { ChatInput } from './attempt-context.js'

export interface ChatResult extends AttemptAnswer {
  readonly deployment: DeploymentRef
  readonly attempts: readonly AttemptRecord[]
  /** Fractional ms the attempts spent waiting for the upstream (see `LoopOutcome.upstreamMs`). */
  readonly upstreamMs: number
}

export interface EngineOptions {
  /** Time (epoch ms), sleep and randomness, replaceable so tests need no real waiting. */
  readonly clock?: Partial<LoopClock>
}

const DEFAULT_RULES: Pick<MeshIR, 'rotation' | 'discovery' | 'models'> = {
  rotation: { providerDeactivation: ['auth-failure'], providerRecovery: 'probe-success' },
  discovery: { onNewModel: 'notify', onDeprecatedModel: 'notify', healthTimeoutMs: 10_000 },
  models: {},
}

/** Routing, attempts, rotation and relaying for one compiled config. */
export class MeshEngine {
  readonly states: DeploymentStates
  readonly health: Health
  readonly planner: Planner
  private readonly rotation: Rotation
  private readonly clock: LoopClock

  constructor(
    readonly table: RoutingTable,
    private readonly providers: Readonly<Record<string, ProviderV1>>,
    private readonly credentials: ReadonlyMap<string, ReadonlyArray<string | undefined>>,
    options: EngineOptions = {},
    rules: Pick<MeshIR, 'rotation' | 'discovery' | 'models'> = DEFAULT_RULES,
  ) {
    this.clock = {
      now: options.clock?.now ?? Date.now,
      sleep: options.clock?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.clock?.random ?? Math.random,
    }
    this.states = new DeploymentStates(table.deployments.values(), this.clock.now())
    this.health = new Health(table, this.states, providers, credentials, rules, this.clock)
    this.rotation = new Rotation(this.states, rules.rotation, (id) => this.health.request(id))
    this.planner = new Planner(table, providers, this.states, this.rotation, this.health, this.clock)
  }

  async chat(input: ChatInput): Promise<ChatResult> {
    const preferences = providerPreferences(input.body)
    const plan = this.planner.plan({ models: input.models, body: input.body, ...(preferences ? { preferences } : {}), ...(input.sessionId ? { sessionId: input.sessionId } : {}) })
    if (plan.candidates.length === 0) throw noneAvailable(plan.excluded)
    // Attempts run one after another: the one that just ended tells how long the upstream kept it waiting.
    let current: Attempt | undefined
    const outcome = await runAttempts<AttemptAnswer>(
      plan.candidates,
      (candidate) => this.attempt((current = this.newAttempt(candidate as PlanEntry, input)), input),
      this.clock,
      (elapsedMs, now) => current!.wait.upstreamMs(elapsedMs, now),
    )
    if (!outcome.result) throw allFailed(outcome.attempts)
    const entry = plan.candidates.find((c) => c.deployment.id === outcome.result!.deployment.id)!
    void outcome.result.value.completion.then(({ usage }) => {
      // Free-tier budgets (deactivate.budgetLimit) count the upstream cost in USD.
      const cost = usage ? costOf(usage, this.planner.priceOf(entry.deployment)).upstreamMicroUsd / 1e6 : undefined
      this.rotation.recordUsage(this.states.get(entry.deployment.id), entry.pool, usage, cost, this.clock.now())
      this.planner.observeAffinity(entry, usage?.cachedInputTokens, usage?.inputTokens)
    })
    // Object.assign rather than a leading spread, which makes every following property slow on Node 20.
    return Object.assign({}, outcome.result.value, { deployment: outcome.result.deployment, attempts: outcome.attempts, upstreamMs: outcome.upstreamMs })
  }

  /** The ordered candidates for a request body, with scores and exclusions; changes nothing. */
  explain(input: Pick<ChatInput, 'body' | 'models' | 'sessionId'>): Explanation {
    const preferences = providerPreferences(input.body)
    return explainPlan(this.planner.plan({ models: input.models, body: input.body, ...(preferences ? { preferences } : {}), ...(input.sessionId ? { sessionId: input.sessionId } : {}) }, true))
  }

  /** The provider and credential behind a deployment, for one-off calls outside the attempt loop (`count_tokens`). */
  connection(deployment: DeploymentRef): { provider: ProviderV1; apiKey: string | undefined } {
    return { provider: this.providers[deployment.provider]!, apiKey: this.credentials.get(deployment.provider)?.[deployment.keyIndex] }
  }

  status(): PoolStatus[] {
    return poolStatus(this.table, this.states, this.clock.now())
  }

  /** Manual standby / reactivation of one deployment, or of every deployment of a provider. */
  setStatus(target: { deployment?: string; provider?: string }, status: 'active' | 'standby'): number {
    const now = this.clock.now()
    let changed = 0
    for (const s of this.states.all()) {
      if (target.deployment ? s.deployment.id !== target.deployment : s.deployment.provider !== target.provider) continue
      if (status === 'active') this.states.activate(s, now, 'manual')
      else this.states.standby(s, now, 'manual', undefined)
      changed++
    }
    return changed
  }

  private newAttempt(entry: PlanEntry, input: ChatInput): Attempt {
    const { deployment } = entry
    const apiKey = this.credentials.get(deployment.provider)?.[deployment.keyIndex]
    return new Attempt(this.providers[deployment.provider]!, deployment, entry.pool, input, apiKey, this.states, this.rotation, this.clock)
  }

  private attempt(attempt: Attempt, input: ChatInput): Promise<AttemptResult<AttemptAnswer>> {
    const passthrough = input.ingress.passthrough
    return passthrough && attempt.provider.dialect === input.ingress.name ? passthroughAttempt(attempt, passthrough) : canonicalAttempt(attempt, attempt.pool.name)
  }
}

function noneAvailable(excluded: ReadonlyArray<{ deployment: string; reason: string }>): GatewayError {
  const summary = excluded.map((e) => `${e.deployment}: ${e.reason}`).join('; ')
  return new GatewayError({ status: 503, type: 'api_error', code: 'no_available_deployment', message: `No deployment can serve this request now${summary ? `: ${summary}` : ''}`, details: { excluded } })
}

function allFailed(attempts: readonly AttemptRecord[]): GatewayError {
  const list = attempts.map((a) => ({ deployment: a.deployment.id, provider: a.deployment.provider, model: a.deployment.model, status: a.status ?? null, reason: a.reason }))
  const summary = list.map((a) => `${a.deployment}: ${a.reason}`).join('; ')
  // No deployment could take the request at all: the request asks for what the pool cannot do.
  if (attempts.length > 0 && attempts.every((a) => a.reason.startsWith(UNSUPPORTED_FEATURE))) {
    const reasons = [...new Set(attempts.map((a) => a.reason.slice(UNSUPPORTED_FEATURE.length).replace(/^ \((.*)\)$/s, '$1')))]
    return new GatewayError({ status: 400, type: 'invalid_request_error', code: UNSUPPORTED_FEATURE, message: reasons.join(' '), details: { attempts: list } })
  }
  // Every key throttled: that is a rate limit, not an outage, and the client may retry later.
  const throttled = attempts.length > 0 && attempts.every((a) => a.status === 429)
  const waits = attempts.flatMap((a) => (a.retryAfterMs !== undefined ? [a.retryAfterMs] : []))
  return new GatewayError({
    ...(throttled && waits.length ? { headers: { 'retry-after': String(Math.ceil(Math.min(...waits) / 1000)) } } : {}),
    status: throttled ? 429 : 502,
    type: throttled ? 'rate_limit_error' : 'upstream_error',
    code: throttled ? 'all_keys_rate_limited' : 'all_deployments_failed',
    message: throttled ? `Every deployment is rate-limited upstream: ${summary}` : `All ${attempts.length} attempts failed: ${summary}`,
    details: { attempts: list },
  })
}
