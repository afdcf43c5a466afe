import type { CounterStoreV1, LocalCounters, SlidingLogResult } from '../contracts/counter-store.js'
import { GatewayError } from '../errors/gateway-error.js'
import { integerText } from '../http/number-text.js'
import { slidingWindowTotal, slidingWindowTotalNow, windowStart } from '../stores/windows.js'

const MINUTE = 60_000
const HEADER_NAMES = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
} as const

/** A key's limits (requests and tokens per minute). */
export interface Limits {
  readonly rpm?: number
  readonly tpm?: number
}

export interface LimitHeaders {
  readonly [name: string]: string
}

/**
 * Per-key RPM over an exact sliding minute (the store's sliding log) or, for stores without one,
 * two fixed windows weighted; TPM always uses the two-window estimate. Counted in the counter
 * store: process-local by default, shared by every instance when it is Redis. A refused request
 * is not counted, so clients that back off get through again.
 *
 * With an in-process store (`counters.local`, the default memory store) `admit` and
 * `correctTokens` answer synchronously — no promise per counter on every request; with a network
 * store they return promises. Callers handle both (`instanceof Promise`).
 */
export class RateLimiter {
  constructor(
    private readonly counters: CounterStoreV1,
    private readonly now: () => number,
  ) {}

  /** Adds the three `x-ratelimit-*` headers of `kind` to `into` (names are constants: one object shape per request). */
  private headers(kind: 'requests' | 'tokens', limit: number, used: number, now: number, into: Record<string, string> = {}): Record<string, string> {
    const names = HEADER_NAMES[kind]
    const reset = Math.max(0, windowStart(now, MINUTE) + MINUTE - now)
    into[names.limit] = String(limit)
    into[names.remaining] = integerText(Math.max(0, limit - used))
    into[names.reset] = `${Math.ceil(reset / 1000)}s`
    return into
  }

  private refuse(kind: 'requests' | 'tokens', limit: number, used: number, now: number, keyPrefix: string, waitMs?: number): GatewayError {
    const headers = this.headers(kind, limit, used, now)
    // Until the oldest counted request leaves the window (sliding log), or the window ends.
    const retryAfter = Math.max(1, Math.ceil((waitMs ?? windowStart(now, MINUTE) + MINUTE - now) / 1000))
    return new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: kind === 'requests' ? 'rpm_limit_exceeded' : 'tpm_limit_exceeded',
      message: `Rate limit reached for key ${keyPrefix}…: ${limit} ${kind} per minute. Retry after ${retryAfter}s.`,
      headers: { ...headers, 'retry-after': String(retryAfter) },
    })
  }

  /** Counter keys per virtual key, built once (bounded): a key built anew is hashed anew by the store's Maps. */
  private readonly keyNames = new Map<string, { readonly rpmLog: string; readonly rpm: string; readonly tpm: string }>()
  private names(keyId: string) {
    let names = this.keyNames.get(keyId)
    if (!names) {
      if (this.keyNames.size >= 10_000) this.keyNames.clear()
      this.keyNames.set(keyId, (names = { rpmLog: `rpm-log:${keyId}`, rpm: `rpm:${keyId}`, tpm: `tpm:${keyId}` }))
    }
    return names
  }

  /**
   * Count one request (and its estimated tokens) or throw a 429 with `Retry-After`; synchronous
   * (headers, or a throw) with an in-process store. The two variants below make the same store
   * calls in the same order and share every decision (`logged`, `over`); a test compares them
   * step by step.
   */
  admit(keyId: string, keyPrefix: string, limits: Limits, estimatedTokens: number): LimitHeaders | Promise<LimitHeaders> {
    return this.counters.local ? this.admitNow(this.counters.local, keyId, keyPrefix, limits, estimatedTokens) : this.admitAsync(keyId, keyPrefix, limits, estimatedTokens)
  }

  private admitNow(local: LocalCounters, keyId: string, keyPrefix: string, limits: Limits, estimatedTokens: number): LimitHeaders {
    const now = this.now()
    const headers: Record<string, string> = {}
    const names = this.names(keyId)
    let countedRpm = false
    if (limits.rpm !== undefined && local.hit) {
      this.logged(local.hit(names.rpmLog, limits.rpm, MINUTE, now), limits.rpm, now, keyPrefix, headers)
    } else if (limits.rpm !== undefined) {
      const used = slidingWindowTotalNow(local, names.rpm, MINUTE, now)
      if (used + 1 > limits.rpm) throw this.refuse('requests', limits.rpm, used, now, keyPrefix)
      local.increment(names.rpm, 1, MINUTE, now)
      countedRpm = true
      this.headers('requests', limits.rpm, used + 1, now, headers)
    }
    if (limits.tpm !== undefined) {
      const used = slidingWindowTotalNow(local, names.tpm, MINUTE, now)
      if (used + estimatedTokens > limits.tpm) {
        // A refused request is not counted: give back its RPM count.
        if (countedRpm) local.increment(names.rpm, -1, MINUTE, now)
        throw this.refuse('tokens', limits.tpm, used, now, keyPrefix)
      }
      local.increment(names.tpm, estimatedTokens, MINUTE, now)
      this.headers('tokens', limits.tpm, used + estimatedTokens, now, headers)
    }
    return headers
  }

  private async admitAsync(keyId: string, keyPrefix: string, limits: Limits, estimatedTokens: number): Promise<LimitHeaders> {
    const now = this.now()
    const headers: Record<string, string> = {}
    const names = this.names(keyId)
    let countedRpm = false
    if (limits.rpm !== undefined && this.counters.hit) {
      // Exact sliding log where the store has one (memory, Redis).
      this.logged(await this.counters.hit(names.rpmLog, limits.rpm, MINUTE, now), limits.rpm, now, keyPrefix, headers)
    } else if (limits.rpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, names.rpm, MINUTE, now)
      if (used + 1 > limits.rpm) throw this.refuse('requests', limits.rpm, used, now, keyPrefix)
      await this.counters.increment(names.rpm, 1, MINUTE, now)
      countedRpm = true
      this.headers('requests', limits.rpm, used + 1, now, headers)
    }
    if (limits.tpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, names.tpm, MINUTE, now)
      if (used + estimatedTokens > limits.tpm) {
        if (countedRpm) await this.counters.increment(names.rpm, -1, MINUTE, now)
        throw this.refuse('tokens', limits.tpm, used, now, keyPrefix)
      }
      await this.counters.increment(names.tpm, estimatedTokens, MINUTE, now)
      this.headers('tokens', limits.tpm, used + estimatedTokens, now, headers)
    }
    return headers
  }

  /** The sliding log's answer: a 429 until its oldest request leaves the window, or the RPM headers. */
  private logged(result: SlidingLogResult, limit: number, now: number, keyPrefix: string, headers: Record<string, string>): void {
    if (!result.allowed) throw this.refuse('requests', limit, result.count, now, keyPrefix, result.oldestAt !== undefined ? result.oldestAt + MINUTE - now : undefined)
    this.headers('requests', limit, result.count, now, headers)
  }

  /** Replace a TPM estimate by the real count once usage is known. */
  correctTokens(keyId: string, delta: number, at: number): void | Promise<unknown> {
    if (delta === 0) return
    if (this.counters.local) this.counters.local.increment(this.names(keyId).tpm, Math.round(delta), MINUTE, at)
    else return this.counters.increment(this.names(keyId).tpm, Math.round(delta), MINUTE, at)
  }
}
