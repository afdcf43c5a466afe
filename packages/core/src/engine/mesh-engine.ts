import type { DeploymentRef, ProviderV1 } from '../contracts/provider.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { RoutingTable } from '../routing/table.js'
import { SELECTION } from '../routing/selection.js'
import { canonicalAttempt } from './attempt-canonical.js'
import { Attempt, type AttemptAnswer, type ChatInput } from './attempt-context.js'
import type { AttemptRecord } from './attempt-failure.js'
import { runAttempts, type AttemptResult, type LoopClock, type PlannedCandidate } from './attempt-loop.js'
import { passthroughAttempt } from './attempt-passthrough.js'
import { DeploymentStates } from './deployment-state.js'

export type { ChatInput } from './attempt-context.js'

export interface ChatResult extends AttemptAnswer {
  readonly deployment: DeploymentRef
  readonly attempts: readonly AttemptRecord[]
}

export interface EngineOptions {
  /** Time, sleep and randomness, replaceable so tests need no real waiting. */
  readonly clock?: Partial<LoopClock>
}

/** Routing, attempts and relaying for one compiled config. Holds no per-request state. */
export class MeshEngine {
  readonly states: DeploymentStates
  private readonly clock: LoopClock

  constructor(
    readonly table: RoutingTable,
    private readonly providers: Readonly<Record<string, ProviderV1>>,
    private readonly credentials: ReadonlyMap<string, ReadonlyArray<string | undefined>>,
    options: EngineOptions = {},
  ) {
    this.states = new DeploymentStates(table.deployments.values())
    this.clock = {
      now: options.clock?.now ?? (() => performance.now()),
      sleep: options.clock?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.clock?.random ?? Math.random,
    }
  }

  /** The ordered candidates for a request: each public model's pool, ordered by its selection. */
  plan(models: readonly string[], sessionId?: string): PlannedCandidate[] {
    const out: PlannedCandidate[] = []
    const seen = new Set<string>()
    for (const name of models) {
      const pool = this.table.pools.get(name)
      if (!pool) {
        throw new GatewayError({ status: 404, type: 'not_found_error', code: 'model_not_found', param: 'model', message: `The model "${name}" does not exist on this gateway. Available: ${this.table.publicModels.join(', ')}` })
      }
      const candidates = pool.members.map((m) => ({ deployment: m.deployment, state: this.states.get(m.deployment.id), priority: m.priority, weight: m.weight, cacheGroup: m.cacheGroup }))
      const ordered = SELECTION[pool.selection]!.select(candidates, { publicModel: name, random: this.clock.random, ...(sessionId ? { sessionId } : {}) })
      for (const c of ordered) {
        if (seen.has(c.deployment.id)) continue
        seen.add(c.deployment.id)
        out.push({ deployment: c.deployment, pool })
      }
    }
    return out
  }

  async chat(input: ChatInput): Promise<ChatResult> {
    const candidates = this.plan(input.models)
    const outcome = await runAttempts<AttemptAnswer>(candidates, (candidate) => this.attempt(candidate, input), this.clock)
    if (!outcome.result) throw allFailed(outcome.attempts)
    return { ...outcome.result.value, deployment: outcome.result.deployment, attempts: outcome.attempts }
  }

  private attempt(candidate: PlannedCandidate, input: ChatInput): Promise<AttemptResult<AttemptAnswer>> {
    const { deployment, pool } = candidate
    const provider = this.providers[deployment.provider]!
    const apiKey = this.credentials.get(deployment.provider)?.[deployment.keyIndex]
    const attempt = new Attempt(provider, deployment, pool, input, apiKey, this.states, this.clock)
    const passthrough = input.ingress.passthrough
    return passthrough && provider.dialect === input.ingress.name ? passthroughAttempt(attempt, passthrough) : canonicalAttempt(attempt, pool.name)
  }
}

function allFailed(attempts: readonly AttemptRecord[]): GatewayError {
  const list = attempts.map((a) => ({ deployment: a.deployment.id, provider: a.deployment.provider, model: a.deployment.model, status: a.status ?? null, reason: a.reason }))
  const summary = list.map((a) => `${a.deployment}: ${a.reason}`).join('; ')
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'all_deployments_failed',
    message: attempts.length ? `All ${attempts.length} attempts failed: ${summary}` : 'No deployment is available for this model',
    details: { attempts: list },
  })
}
