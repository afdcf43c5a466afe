import type { Dialect } from '../contracts/dialect.js'
import type { DeploymentRef, ProviderCallContext, ProviderV1, UpstreamResponse } from '../contracts/provider.js'
import type { Usage } from '../contracts/usage.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { RoutingTable } from '../routing/table.js'
import { SELECTION } from '../routing/selection.js'
import { parseSSE, type SSEEvent } from '../upstream/sse.js'
import { classify, readErrorBody, type AttemptRecord } from './attempt-failure.js'
import { runAttempts, type AttemptResult, type LoopClock, type PlannedCandidate } from './attempt-loop.js'
import { DeploymentStates } from './deployment-state.js'
import { openAIChatPassthrough } from './passthrough/openai-chat.js'
import type { PassthroughDialect, RelayState } from './passthrough/passthrough-dialect.js'
import { relayStream, type RelayOutcome } from './stream-relay.js'

export interface ChatInput {
  readonly ingress: Dialect
  /** The parsed, validated client body. */
  readonly body: Readonly<Record<string, unknown>>
  /** Public models in fallback order (`models: [...]` with `route: "fallback"`, or just `model`). */
  readonly models: readonly string[]
  readonly stream: boolean
  readonly requestId: string
}

export interface ChatResult {
  readonly status: number
  readonly contentType: string
  readonly body: string | ReadableStream<Uint8Array>
  readonly deployment: DeploymentRef
  readonly attempts: readonly AttemptRecord[]
  /** Resolves when the response is complete (at stream end for streams). */
  readonly completion: Promise<RelayOutcome>
}

export interface EngineOptions {
  readonly clock?: Partial<LoopClock>
}

const PASSTHROUGH: Partial<Record<Dialect, PassthroughDialect>> = { 'openai.chat': openAIChatPassthrough }

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
      if (!pool) throw new GatewayError({ status: 404, type: 'not_found_error', code: 'model_not_found', param: 'model', message: `The model "${name}" does not exist on this gateway. Available: ${this.table.publicModels.join(', ')}` })
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
    const dialect = PASSTHROUGH[input.ingress]
    if (!dialect) throw new GatewayError({ status: 400, type: 'invalid_request_error', message: `Ingress dialect ${input.ingress} is not supported` })
    const candidates = this.plan(input.models)
    const outcome = await runAttempts<Omit<ChatResult, 'deployment' | 'attempts'>>(
      candidates,
      (candidate) => this.attempt(candidate, input, dialect),
      this.clock,
    )
    if (!outcome.result) throw allFailed(outcome.attempts)
    return { ...outcome.result.value, deployment: outcome.result.deployment, attempts: outcome.attempts }
  }

  private context(deployment: DeploymentRef, requestId: string, signal: AbortSignal): ProviderCallContext {
    return { deployment, apiKey: this.credentials.get(deployment.provider)?.[deployment.keyIndex], signal, requestId }
  }

  private async attempt(candidate: PlannedCandidate, input: ChatInput, dialect: PassthroughDialect): Promise<AttemptResult<Omit<ChatResult, 'deployment' | 'attempts'>>> {
    const { deployment, pool } = candidate
    const provider = this.providers[deployment.provider]!
    if (provider.dialect !== input.ingress) {
      throw new GatewayError({ status: 400, type: 'invalid_request_error', message: `Provider "${deployment.provider}" speaks ${provider.dialect}; translation from ${input.ingress} is not available in this version` })
    }
    // Client disconnects do not abort: a paid-for generation is read to its end and billed.
    const controller = new AbortController()
    const total = setTimeout(() => controller.abort(new Error('total timeout')), pool.timeout.totalMs)
    // Non-streamed answers arrive whole, so only streams have a first-token deadline.
    const headerTimer = input.stream ? setTimeout(() => controller.abort(new Error('first token timeout')), pool.timeout.firstTokenMs) : undefined
    const startedAt = this.clock.now()
    this.states.begin(deployment.id)
    const fail = (status: number | undefined, extra: Parameters<typeof classify>[1], reason?: string): AttemptResult<never> => {
      clearTimeout(total)
      clearTimeout(headerTimer)
      const failure = classify(provider, { ...(status !== undefined ? { status } : {}), ...extra })
      // A request the upstream rejects as malformed says nothing about the deployment's health.
      if (failure.classification.scope !== 'request') this.states.fail(deployment.id, this.clock.now())
      else this.states.release(deployment.id)
      return { kind: 'failure', failure: reason ? { ...failure, classification: { ...failure.classification, reason } } : failure }
    }
    const timeoutKind = () => (controller.signal.aborted ? (String((controller.signal.reason as Error)?.message).startsWith('first') ? 'first-token' : 'total') : undefined)

    let response: UpstreamResponse
    try {
      const body = dialect.prepareBody(input.body, deployment.model, input.stream)
      response = await provider.doForward({ operation: dialect.operation, body, stream: input.stream }, this.context(deployment, input.requestId, controller.signal))
    } catch (cause) {
      const timeout = timeoutKind()
      return fail(undefined, { cause, ...(timeout ? { timeout } : {}) })
    }

    if (response.status >= 400) {
      const text = await readErrorBody(response.body).catch(() => '')
      const result = fail(response.status, { headers: response.headers, body: text })
      if (result.kind === 'failure' && !result.failure.classification.retryable) {
        // The upstream refused the request itself: answer with its own error (same dialect).
        return { kind: 'final', status: response.status, failure: result.failure, value: { status: response.status, contentType: response.headers['content-type'] ?? 'application/json', body: text, completion: Promise.resolve({ usage: undefined, clientDisconnected: false }) } }
      }
      return result
    }

    if (!input.stream) {
      let text: string
      try {
        text = await response.text()
      } catch (cause) {
        const timeout = timeoutKind()
        return fail(undefined, { cause, ...(timeout ? { timeout } : {}) })
      }
      let usage: Usage | undefined
      try {
        usage = dialect.usageFromResponse(text)
      } catch {
        return fail(undefined, { cause: new Error('upstream answered 200 with a body that is not valid JSON') }, 'invalid_upstream_response')
      }
      clearTimeout(total)
      clearTimeout(headerTimer)
      this.states.succeed(deployment.id, this.clock.now() - startedAt, this.clock.now())
      return { kind: 'success', status: response.status, value: { status: 200, contentType: 'application/json', body: text, completion: Promise.resolve({ usage, clientDisconnected: false }) } }
    }

    const events = parseSSE(response.body)[Symbol.asyncIterator]()
    const state: RelayState = { clientWantsUsage: dialect.clientWantsUsage(input.body), done: false }
    let first: IteratorResult<SSEEvent>
    try {
      first = await events.next()
    } catch (cause) {
      const timeout = timeoutKind()
      return fail(undefined, { cause, ...(timeout ? { timeout } : {}) })
    }
    if (first.done) return fail(undefined, { cause: new Error('upstream ended the stream before its first chunk') }, 'stream_ended_before_first_chunk')
    const firstText = dialect.relayEvent(first.value, state)
    if (state.malformed !== undefined) {
      await response.cancel().catch(() => {})
      return fail(undefined, { cause: new Error(`upstream sent a malformed first chunk: ${state.malformed}`) }, 'malformed_stream_chunk')
    }
    clearTimeout(headerTimer)
    this.states.succeed(deployment.id, this.clock.now() - startedAt, this.clock.now())

    let resolveCompletion!: (outcome: RelayOutcome) => void
    const completion = new Promise<RelayOutcome>((resolve) => (resolveCompletion = resolve))
    const body = relayStream({
      dialect,
      state,
      events,
      first: firstText,
      idleTimeoutMs: pool.timeout.idleMs,
      abortUpstream: (reason) => controller.abort(new Error(reason)),
      onEnd: (outcome) => {
        clearTimeout(total)
        resolveCompletion(outcome)
      },
    })
    return { kind: 'success', status: 200, value: { status: 200, contentType: 'text/event-stream; charset=utf-8', body, completion } }
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
