import type { ModelPricing } from '../contracts/model-info.js'
import type { DeploymentRef, ProviderV1 } from '../contracts/provider.js'
import { findPrice, type Price } from '../pricing/pricing.js'
import type { Candidate, DeploymentState, ScoredCandidate, SelectionStrategy } from '../contracts/rotation-policy.js'
import { GatewayError } from '../errors/gateway-error.js'
import { affinityKeyOf, type AffinityStrategy } from '../routing/cache-affinity.js'
import { blendedPrice, createSelection } from '../routing/selection.js'
import type { Pool, PoolMember, RoutingTable } from '../routing/table.js'
import type { LoopClock, PlannedCandidate } from './attempt-loop.js'
import type { DeploymentStates } from './deployment-state.js'
import type { Health } from './health.js'
import { names, type ProviderPreferences } from './request-routing.js'
import type { Rotation } from './rotation.js'

export interface PlanEntry extends PlannedCandidate {
  readonly candidate: Candidate
  readonly score: number
  readonly why: string
  /** The affinity key of this request in this pool, when the pool uses cache affinity. */
  readonly affinityKey?: string
}

export interface Plan {
  readonly candidates: PlanEntry[]
  readonly excluded: Array<{ deployment: string; model: string; reason: string }>
}

/** A plan entry: the ranked candidate with its pool; `why` is the strategy's, written when read (explain). */
class PlannedEntry implements PlanEntry {
  readonly deployment: DeploymentRef
  readonly candidate: Candidate
  readonly score: number
  readonly affinityKey: string | undefined

  constructor(
    private readonly ranked: ScoredCandidate,
    readonly pool: Pool,
    affinityKey: string | undefined,
  ) {
    this.candidate = ranked.candidate
    this.deployment = ranked.candidate.deployment
    this.score = ranked.score
    this.affinityKey = affinityKey
  }

  get why(): string {
    return this.ranked.why
  }
}

interface PoolPrice {
  readonly price: Price | undefined
  readonly score: number
  readonly unpriced: boolean
}

interface PoolEntry {
  readonly member: PoolMember
  readonly providerId: string
  readonly pricing: ModelPricing | undefined
  readonly zdr: boolean
  readonly state: DeploymentState
  readonly candidate: Candidate
  readonly maintenance: Pool['deactivate']['maintenance']
}

export interface PlanRequest {
  readonly models: readonly string[]
  readonly body: Readonly<Record<string, unknown>>
  readonly preferences?: ProviderPreferences
  readonly sessionId?: string
}

/**
 * Turns a request into ordered candidates: each public model's pool, minus what is unavailable or
 * excluded by the request, ordered by the pool's selection strategy and the request's preferences.
 * O(candidates): the table itself is never copied.
 */
export class Planner {
  private readonly selections = new Map<string, SelectionStrategy>()
  private readonly discovered = new Map<string, Pool>()

  constructor(
    private readonly table: RoutingTable,
    private readonly providers: Readonly<Record<string, ProviderV1>>,
    private readonly states: DeploymentStates,
    private readonly rotation: Rotation,
    private readonly health: Health,
    private readonly clock: LoopClock,
  ) {
    for (const pool of table.pools.values()) this.selections.set(pool.name, createSelection(pool))
  }

  selection(pool: string): SelectionStrategy | undefined {
    return this.selections.get(pool)
  }

  private pool(name: string): Pool {
    const pool = this.table.pools.get(name)
    if (pool) return pool
    const known = this.discovered.get(name)
    if (known) return known
    const registered = this.health.registered.get(name)
    if (registered) {
      // A model registered by catalogue sync takes the rules of a pool of the same provider.
      const template = [...this.table.pools.values()].find((p) => p.members.some((m) => m.deployment.provider === registered[0]!.provider))!
      const discovered: Pool = { ...template, name, selection: 'priority', members: registered.map((deployment) => ({ deployment, priority: 0, weight: 1, cacheGroup: name })) }
      this.discovered.set(name, discovered)
      this.selections.set(name, createSelection(discovered))
      return discovered
    }
    throw new GatewayError({ status: 404, type: 'not_found_error', code: 'model_not_found', param: 'model', message: `The model "${name}" does not exist on this gateway. Available: ${this.table.publicModels.join(', ')}` })
  }

  /** Price of a deployment: the target's own, the provider's catalogue, then the core catalogue. */
  private pricing(provider: ProviderV1, model: string, own: ModelPricing | undefined): ModelPricing | undefined {
    if (own) return own
    // Catalogue look-ups scan names; prices do not change at run time, so each is looked up once.
    const key = `${provider.id}\u0000${model}`
    if (this.prices.has(key)) return this.prices.get(key)
    const price = provider.models?.[model]?.pricing ?? provider.pricing?.(model) ?? findPrice(provider.id, model)
    this.prices.set(key, price)
    return price
  }
  private readonly prices = new Map<string, ModelPricing | undefined>()

  /** Price of the member of a pool that is (or would be) served by a deployment. */
  priceOf(deployment: DeploymentRef): Price | undefined {
    const member = this.memberOf(deployment.id)
    return this.pricing(this.providers[deployment.provider]!, deployment.model, member?.pricing)
  }

  /** The most expensive price among everything that may serve these models (for reservations). */
  worstPrice(models: readonly string[]): Price | undefined {
    let worst: Price | undefined
    let worstScore = -1
    for (const name of models) {
      const pool = this.table.pools.get(name) ?? this.discovered.get(name)
      if (!pool) continue
      const most = this.mostExpensive(pool)
      if (most.unpriced) return undefined
      if (most.score > worstScore) [worst, worstScore] = [most.price, most.score]
    }
    return worst
  }

  /**
   * A pool's most expensive price (the first of the highest score; `unpriced` when a member has
   * none). Asked on every request (the reservation's estimate); prices do not change at run time,
   * so each pool's is worked out once (a thousand catalogue look-ups per request before).
   */
  private mostExpensive(pool: Pool): PoolPrice {
    let most = this.poolPrices.get(pool)
    if (!most) {
      most = { price: undefined, score: -1, unpriced: false }
      for (const m of pool.members) {
        const price = this.pricing(this.providers[m.deployment.provider]!, m.deployment.model, m.pricing)
        if (!price) {
          most = { price: undefined, score: -1, unpriced: true }
          break
        }
        const score = (price.input ?? 0) + (price.output ?? 0) + (price.perRequest ?? 0) * 1e6
        if (score > most.score) most = { price, score, unpriced: false }
      }
      this.poolPrices.set(pool, most)
    }
    return most
  }
  private readonly poolPrices = new WeakMap<Pool, PoolPrice>()

  private memberOf(id: string): PoolMember | undefined {
    if (!this.members) {
      this.members = new Map()
      for (const pool of this.table.pools.values()) for (const m of pool.members) if (!this.members.has(m.deployment.id)) this.members.set(m.deployment.id, m)
    }
    return this.members.get(id)
  }
  private members: Map<string, PoolMember> | undefined

  /**
   * What the plan needs of each member of a pool and that never changes while the gateway runs:
   * its provider, price and zero-data-retention flag, its state object (one per deployment, kept
   * for the process's life) and the candidate handed to the selection strategy, built on a pool's
   * first request instead of on every one (a thousand-deployment pool made a thousand candidates,
   * price keys and spread objects per request).
   */
  private membersOf(pool: Pool): readonly PoolEntry[] {
    let entries = this.poolEntries.get(pool)
    if (!entries) {
      entries = pool.members.map((m) => {
        const provider = this.providers[m.deployment.provider]!
        const pricing = this.pricing(provider, m.deployment.model, m.pricing)
        const zdr = m.zeroDataRetention ?? provider.models?.[m.deployment.model]?.zeroDataRetention ?? false
        const state = this.states.get(m.deployment.id)
        const candidate: Candidate = { deployment: m.deployment, state, priority: m.priority, weight: m.weight, cacheGroup: m.cacheGroup, zeroDataRetention: zdr, ...(pricing ? { pricing } : {}), ...(m.maxRpm ? { maxRpm: m.maxRpm } : {}) }
        return { member: m, providerId: provider.id, pricing, zdr, state, candidate, maintenance: m.maintenance ?? pool.deactivate.maintenance }
      })
      this.poolEntries.set(pool, entries)
    }
    return entries
  }
  private readonly poolEntries = new WeakMap<Pool, readonly PoolEntry[]>()

  plan(request: PlanRequest, dryRun = false): Plan {
    const now = this.clock.now()
    const prefs = request.preferences
    const out: PlanEntry[] = []
    const excluded: Plan['excluded'] = []
    // Deployments already planned through an earlier model of the request (fallback models).
    const seen = request.models.length > 1 ? new Set<string>() : undefined
    for (const name of request.models) {
      const pool = this.pool(name)
      const selection = this.selections.get(name)!
      const candidates: Candidate[] = []
      for (const entry of this.membersOf(pool)) {
        const { member: m, candidate } = entry
        const id = m.deployment.id
        if (seen?.has(id)) continue
        const reason = prefs ? this.exclusion(prefs, m.deployment.provider, entry.providerId, entry.zdr, entry.pricing) : undefined
        const available = reason ? undefined : this.rotation.availability(entry.state, pool, now, !dryRun, entry.maintenance)
        if (reason || (available && !available.ok)) {
          excluded.push({ deployment: id, model: name, reason: reason ?? (available as { reason: string }).reason })
          continue
        }
        candidates.push(candidate)
      }
      const affinityKey = pool.selection === 'cache-affinity' ? affinityKeyOf(request.body, pool.affinity.prefixMessages, request.sessionId) : undefined
      const ranked = selection.select(candidates, { publicModel: name, now, random: this.clock.random, ...(affinityKey ? { affinityKey } : {}) })
      if (!dryRun && 'advance' in selection) (selection as { advance(): void }).advance()
      const entries = ranked.map((r) => new PlannedEntry(r, pool, affinityKey))
      for (const e of prefs ? this.applyPreferences(entries, prefs) : entries) {
        seen?.add(e.deployment.id)
        out.push(e)
      }
    }
    return { candidates: out, excluded }
  }

  private exclusion(prefs: ProviderPreferences, providerName: string, providerId: string, zdr: boolean, pricing: ModelPricing | undefined): string | undefined {
    if (prefs.only && !names(prefs.only, providerName, providerId)) return 'not in provider.only'
    if (names(prefs.ignore, providerName, providerId)) return 'in provider.ignore'
    if ((prefs.zdr || prefs.data_collection === 'deny') && !zdr) return 'not flagged zero-data-retention'
    if (prefs.max_price) {
      if (prefs.max_price.prompt !== undefined && (pricing?.input === undefined || pricing.input > prefs.max_price.prompt)) return `input price ${pricing?.input ?? 'unknown'} over max_price.prompt`
      if (prefs.max_price.completion !== undefined && (pricing?.output === undefined || pricing.output > prefs.max_price.completion)) return `output price ${pricing?.output ?? 'unknown'} over max_price.completion`
    }
    return undefined
  }

  private applyPreferences(entries: PlanEntry[], prefs: ProviderPreferences | undefined): PlanEntry[] {
    if (!prefs) return entries
    let list = entries
    if (prefs.sort) {
      const key = (e: PlanEntry) =>
        prefs.sort === 'price' ? blendedPrice(e.candidate) : prefs.sort === 'latency' ? (e.candidate.state.latencyEwmaMs ?? Infinity) : -(e.candidate.state.throughputEwma ?? 0)
      list = [...list].sort((a, b) => key(a) - key(b))
    }
    if (prefs.order) {
      const rank = (e: PlanEntry) => {
        const provider = this.providers[e.deployment.provider]!
        const i = prefs.order!.findIndex((n) => n === e.deployment.provider || n === provider.id)
        return i === -1 ? prefs.order!.length : i
      }
      list = [...list].sort((a, b) => rank(a) - rank(b))
      if (prefs.allow_fallbacks === false) list = list.filter((e) => rank(e) < prefs.order!.length)
    } else if (prefs.allow_fallbacks === false && list.length > 0) {
      const first = list[0]!.deployment.provider
      list = list.filter((e) => e.deployment.provider === first)
    }
    return list
  }

  observeAffinity(entry: PlanEntry, cachedTokens: number | undefined, inputTokens: number | undefined): void {
    if (!entry.affinityKey) return
    const strategy = this.selections.get(entry.pool.name) as AffinityStrategy | undefined
    strategy?.observe?.(entry.affinityKey, entry.candidate, cachedTokens, inputTokens, this.clock.now())
  }
}
