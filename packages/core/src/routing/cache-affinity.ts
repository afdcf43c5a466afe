import { hash } from 'node:crypto'
import type { Candidate, ScoredCandidate, SelectionStrategy } from '../contracts/rotation-policy.js'
import { orderByKey } from './order.js'
import { RankedCandidate } from './ranked.js'
import type { Pool } from './table.js'

interface Binding {
  cacheGroup: string
  deploymentId: string
  /** Tokens of the prefix believed cached there. */
  cachedTokens: number
  expiresAt: number
  /** The binding's last use, as a position in the touch order (see `Bindings`). */
  touched: number
}

/**
 * Affinity bindings with their order of use, so that expired bindings and, at the cap, the least
 * recently used ones are found at the front of a queue: O(1) amortised per binding. (Deleting from
 * the front of a `Map` leaves holes that every later walk from its start steps over, and the map
 * was scanned whole for each new binding once full: ~0.9 ms per new session at 100,000.)
 * Each use appends to the queue; an entry whose binding was used again since is stale and skipped.
 */
class Bindings {
  private readonly map = new Map<string, Binding>()
  private queue: Array<{ key: string; touched: number }> = []
  private head = 0
  private touches = 0

  get size(): number {
    return this.map.size
  }

  get(key: string): Binding | undefined {
    return this.map.get(key)
  }

  /** Marks a binding used now (it goes to the back of the order); a new one is added. */
  touch(key: string, binding: Binding): void {
    binding.touched = ++this.touches
    this.map.set(key, binding)
    this.queue.push({ key, touched: binding.touched })
    // Stale entries (bindings used again, or gone) would otherwise pile up while nothing is evicted.
    if (this.queue.length - this.head > 2 * this.map.size + 1024) this.compact()
  }

  /** Drops expired bindings, then the least recently used while there are `max` or more. */
  evict(now: number, max: number): void {
    while (this.head < this.queue.length) {
      const { key, touched } = this.queue[this.head]!
      const binding = this.map.get(key)
      if (binding && binding.touched === touched) {
        if (binding.expiresAt > now && this.map.size < max) break
        this.map.delete(key)
      }
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head).filter(({ key, touched }) => this.map.get(key)?.touched === touched)
    this.head = 0
  }
}

export interface AffinityStrategy extends SelectionStrategy {
  /** Record where a request with this key was served and what it reported as cached. */
  observe(affinityKey: string, candidate: Candidate, cachedTokens: number | undefined, inputTokens: number | undefined, now: number): void
  readonly bindings: number
}

/** Bindings kept per pool at most (the least recently used go first). */
export const MAX_BINDINGS = 100_000

/**
 * The affinity key of a request: the client's `x-session-id` when given, else a fingerprint of the
 * prompt prefix (system prompt + the first `prefixMessages` messages).
 */
export function affinityKeyOf(body: Readonly<Record<string, unknown>>, prefixMessages: number, sessionId?: string): string {
  if (sessionId) return `s:${sessionId}`
  const messages = Array.isArray(body.messages) ? body.messages.slice(0, prefixMessages) : []
  return 'p:' + hash('sha256', JSON.stringify([body.system ?? null, messages]), 'base64url').slice(0, 22)
}

/**
 * Cache-prefix affinity. Without a binding, traffic is balanced (fewest in flight, then random).
 * A follow-up goes back to the deployment (or, failing that, the key pool) holding its cached
 * prefix when the expected saving — cached tokens × the provider's cache discount — outweighs the
 * extra load there. Bindings expire after `affinity.ttl`; they reorder candidates, never override
 * health (standby deployments are not candidates at all).
 */
export function cacheAffinitySelection(pool: Pick<Pool, 'affinity'>): AffinityStrategy {
  const bindings = new Bindings()

  const saving = (c: Candidate, tokens: number) => {
    const p = c.pricing
    const discount = p?.input !== undefined ? p.input - (p.cachedInput ?? p.input * 0.5) : 1
    return (tokens * Math.max(discount, 0)) / 1e6
  }

  return {
    name: 'cache-affinity',
    get bindings() {
      return bindings.size
    },
    select(candidates, request) {
      // Fewest in flight first, then a random draw: in-flight counts are whole numbers and draws
      // are in [0, 1), so `inFlight + draw` orders by both at once.
      const balanced = orderByKey(candidates.length, (i) => candidates[i]!.state.inFlight + request.random()).map((i) => candidates[i]!)
      const binding = request.affinityKey ? bindings.get(request.affinityKey) : undefined
      const toScored = (list: Candidate[], why: (c: Candidate) => string): ScoredCandidate[] => list.map((candidate, i) => new RankedCandidate(candidate, list.length - i, why))
      if (!binding || binding.expiresAt <= request.now) {
        return toScored(balanced, (c) => `balanced (${c.state.inFlight} in flight)`)
      }
      const bound = balanced.find((c) => c.deployment.id === binding.deploymentId) ?? balanced.find((c) => c.cacheGroup === binding.cacheGroup)
      if (!bound) return toScored(balanced, () => 'bound deployment unavailable: balanced')
      const minLoad = balanced[0]!.state.inFlight
      const gain = saving(bound, binding.cachedTokens)
      const cost = pool.affinity.loadWeightUsd * (bound.state.inFlight - minLoad)
      if (gain <= cost) return toScored(balanced, () => `affinity saving $${gain.toFixed(6)} ≤ load cost $${cost.toFixed(6)}: balanced`)
      const rest = balanced.filter((c) => c !== bound)
      return toScored([bound, ...rest], (c) => (c === bound ? `holds cached prefix (${binding.cachedTokens} tokens, saves ~$${gain.toFixed(6)})` : 'balanced'))
    },
    observe(affinityKey, candidate, cachedTokens, inputTokens, now) {
      const existing = bindings.get(affinityKey)
      // A deployment that reported cached tokens for this prefix holds it; otherwise the first
      // server of the prefix is where the cache will be written.
      if (existing && existing.expiresAt > now && !(cachedTokens && existing.deploymentId !== candidate.deployment.id)) {
        existing.expiresAt = now + pool.affinity.ttlMs
        if (cachedTokens) existing.cachedTokens = cachedTokens
        bindings.touch(affinityKey, existing)
        return
      }
      // Bindings expire in the order they were last used (one TTL per pool): the expired ones,
      // and at the cap the least recently used, are at the front.
      bindings.evict(now, existing ? MAX_BINDINGS + 1 : MAX_BINDINGS)
      bindings.touch(affinityKey, { cacheGroup: candidate.cacheGroup, deploymentId: candidate.deployment.id, cachedTokens: cachedTokens || inputTokens || 0, expiresAt: now + pool.affinity.ttlMs, touched: 0 })
    },
  }
}
