import type { CounterStoreV1 } from '../contracts/counter-store.js'
import { GatewayError } from '../errors/gateway-error.js'
import { slidingWindowTotal, windowStart } from '../stores/windows.js'

const MINUTE = 60_000

export interface LimitHeaders {
  readonly [name: string]: string
}

/**
 * Per-key RPM / TPM over a sliding minute (two fixed windows, weighted), counted in the counter
 * store: process-local by default, shared by every instance when it is Redis. A refused request
 * is not counted, so clients that back off get through again.
 */
export class RateLimiter {
  constructor(
    private readonly counters: CounterStoreV1,
    private readonly now: () => number,
  ) {}

  private headers(kind: 'requests' | 'tokens', limit: number, used: number, now: number): LimitHeaders {
    const reset = Math.max(0, windowStart(now, MINUTE) + MINUTE - now)
    return {
      [`x-ratelimit-limit-${kind}`]: String(limit),
      [`x-ratelimit-remaining-${kind}`]: String(Math.max(0, limit - used)),
      [`x-ratelimit-reset-${kind}`]: `${Math.ceil(reset / 1000)}s`,
    }
  }

  private refuse(kind: 'requests' | 'tokens', limit: number, used: number, now: number, keyPrefix: string): GatewayError {
    const headers = this.headers(kind, limit, used, now)
    // Until enough of the weighted previous window has slid out; at most a minute.
    const retryAfter = Math.max(1, Math.ceil((windowStart(now, MINUTE) + MINUTE - now) / 1000))
    return new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: kind === 'requests' ? 'rpm_limit_exceeded' : 'tpm_limit_exceeded',
      message: `Rate limit reached for key ${keyPrefix}…: ${limit} ${kind} per minute. Retry after ${retryAfter}s.`,
      headers: { ...headers, 'retry-after': String(retryAfter) },
    })
  }

  /** Count one request (and its estimated tokens) or throw a 429 with `Retry-After`. */
  async admit(keyId: string, keyPrefix: string, limits: { rpm?: number; tpm?: number }, estimatedTokens: number): Promise<LimitHeaders> {
    const now = this.now()
    let headers: LimitHeaders = {}
    if (limits.rpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, `rpm:${keyId}`, MINUTE, now)
      if (used + 1 > limits.rpm) throw this.refuse('requests', limits.rpm, used, now, keyPrefix)
      await this.counters.increment(`rpm:${keyId}`, 1, MINUTE, now)
      headers = this.headers('requests', limits.rpm, used + 1, now)
    }
    if (limits.tpm !== undefined) {
      const used = await slidingWindowTotal(this.counters, `tpm:${keyId}`, MINUTE, now)
      if (used + estimatedTokens > limits.tpm) {
        if (limits.rpm !== undefined) await this.counters.increment(`rpm:${keyId}`, -1, MINUTE, now)
        throw this.refuse('tokens', limits.tpm, used, now, keyPrefix)
      }
      await this.counters.increment(`tpm:${keyId}`, estimatedTokens, MINUTE, now)
      headers = { ...headers, ...this.headers('tokens', limits.tpm, used + estimatedTokens, now) }
    }
    return headers
  }

  /** Replace a TPM estimate by the real count once usage is known. */
  async correctTokens(keyId: string, delta: number, at: number): Promise<void> {
    if (delta !== 0) await this.counters.increment(`tpm:${keyId}`, Math.round(delta), MINUTE, at)
  }
}
