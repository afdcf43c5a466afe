import type { RetryIR } from '../config/normalize.js'

/**
 * Delay before retry number `retry` (1-based): exponential, capped, with "equal jitter" (half fixed,
 * half random) so synchronized clients spread out. An upstream `Retry-After` is a floor, not a hint.
 */
export function retryDelayMs(retry: number, config: RetryIR, retryAfterMs: number | undefined, random: () => number): number {
  const { initialMs, maxMs, multiplier } = config.backoff
  const exponential = Math.min(maxMs, initialMs * multiplier ** Math.max(0, retry - 1))
  const jittered = exponential / 2 + (random() * exponential) / 2
  return Math.max(jittered, retryAfterMs ?? 0)
}
