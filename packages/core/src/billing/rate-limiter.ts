import type { CounterStoreV1, LocalCounters } from '../contracts/counter-store.js'
import { GatewayError } from '../errors/gateway-error.js'
import { slidingWindowTotal, slidingWindowTotalNow, windowStart } from '../stores/windows.js'

const MINUTE = 60_000
const HEADER_NAMES = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
} as const

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
    into[names.remaining] = String(Math.max(0, limit - used))
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

  /**
   * Count one request (and its estimated tokens) or throw a 429 with `Retry-After`; synchronous
   * (headers, or a throw) with an in-process store.
   */
  admit(keyId: string, keyPrefix: string, limits: { rpm?: number; tpm?: number }, estimatedTokens: number): LimitHeaders | Promise<LimitHeaders> {
    return this.counters.local ? this.admitNow(this.counters.local, keyId, keyPrefix, limits, estimatedTokens) : this.admitAsync(keyId, keyPrefix, limits, estimatedTokens)
  }

  /** `admit` on the store's synchronous counters: the same steps, in the same order. */
  private admitNow(local: LocalCounters, keyId: string, keyPrefix: string, limits: { rpm?: number; tpm?: number }, estimatedTokens: number): LimitHeaders {
    const now = this.now()
    const headers: Record<string, string> = {}
    let counted: (() => unknown) | undefined
    if (limits.rpm !== undefined && local.hit) {
      const result = local.hit(`rpm-log:${keyId}`, limits.rpm, MINUTE, now)
      if (!result.allowed) throw this.refuse('requests', limits.rpm, result.count, now, keyPrefix, result.oldestAt !== undefined ? result.oldestAt + MINUTE - now : undefined)
      this.headers('requests', limits.rpm, result.count, now, headers)
    } else if (limits.rpm !== undefined) {
      const used = slidingWindowTotalNow(local, `rpm:${keyId}`, MINUTE, now)
      if (used + 1 > limits.rpm) throw this.refuse('requests', limits.rpm, used, now, keyPrefix)
      local.increment(`rpm:${keyId}`, 1, MINUTE, now)
      counted = () => local.increment(`rpm:${keyId}`, -1, MINUTE, now)
      this.headers('requests', limits.rpm, used + 1, now, headers)
    }
    if (limits.tpm !== undefined) {
      const used = slidingWindowTotalNow(local, `tpm:${keyId}`, MINUTE, now)
      if (used + estimatedTokens > limits.tpm) {
        counted?.()
        throw this.refuse('tokens', limits.tpm, used, now, keyPrefix)
      }
      local.increment(`tpm:${keyId}`, estimatedTokens, MINUTE, now)
      this.headers('tokens', limits.tpm, used + estimatedTokens, now, headers)
    }
    return headers
  }

  private async admitAsync(keyId: string, keyPrefix: string, limits: { rpm?: number; tpm?: number }, estimatedTokens: number): Promise<LimitHeaders> {
    const now = this.now()
    const headers: Record<string, string> = {}
    let counted: (() => Promise<unknown>) | undefined
    if (limits.rpm !== undefined && this.counters.hit) {
      // Exact sliding log where the store has one (memory, Redis).
      const result = await this.counters.hit(`rpm-log:${keyId}`, limits.rpm, MINUTE, now)
      if (!result.allowed) throw this.refuse('requests', limits.rpm, result.count, now, keyPrefix, result.oldestAt !== undefined ? result.oldestAt + MINUTE - now : undefined)
      this.headers('requests', limits.rpm, result.count, now, headers)
    } else if (limits.rpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, `rpm:${keyId}`, MINUTE, now)
      if (used + 1 > limits.rpm) throw this.refuse('requests', limits.rpm, used, now, keyPrefix)
      await this.counters.increment(`rpm:${keyId}`, 1, MINUTE, now)
      counted = () => this.counters.increment(`rpm:${keyId}`, -1, MINUTE, now)
      this.headers('requests', limits.rpm, used + 1, now, headers)
    }
    if (limits.tpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, `tpm:${keyId}`, MINUTE, now)
      if (used + estimatedTokens > limits.tpm) {
        await counted?.()
        throw this.refuse('tokens', limits.tpm, used, now, keyPrefix)
      }
      await this.counters.increment(`tpm:${keyId}`, estimatedTokens, MINUTE, now)
      this.headers('tokens', limits.tpm, used + estimatedTokens, now, headers)
    }
    return headers
  }

  /** Replace a TPM estimate by the real count once usage is known. */
  correctTokens(keyId: string, delta: number, at: number): void | Promise<unknown> {
    if (delta === 0) return
    if (this.counters.local) this.counters.local.increment(`tpm:${keyId}`, Math.round(delta), MINUTE, at)
    else return this.counters.increment(`tpm:${keyId}`, Math.round(delta), MINUTE, at)
  }
}
