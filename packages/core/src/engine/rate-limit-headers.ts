import type { RateLimitSnapshot } from '../contracts/rotation-policy.js'

/** OpenAI-style reset values: `1s`, `6m0s`, `250ms`, or plain seconds. */
function resetMs(value: string | undefined): number | undefined {
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  let total = 0
  let matched = false
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true
    total += Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000)
  }
  return matched ? total : undefined
}

const num = (v: string | undefined) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined)

/** Rate-limit headroom from `x-ratelimit-*` response headers, when the upstream sends them. */
export function rateLimitFromHeaders(headers: Readonly<Record<string, string | undefined>>, now: number): RateLimitSnapshot | undefined {
  const limitRequests = num(headers['x-ratelimit-limit-requests'])
  const remainingRequests = num(headers['x-ratelimit-remaining-requests'])
  const limitTokens = num(headers['x-ratelimit-limit-tokens'])
  const remainingTokens = num(headers['x-ratelimit-remaining-tokens'])
  if (limitRequests === undefined && remainingRequests === undefined && limitTokens === undefined && remainingTokens === undefined) return undefined
  const reset = resetMs(headers['x-ratelimit-reset-requests'])
  return {
    observedAt: now,
    ...(limitRequests !== undefined ? { limitRequests } : {}),
    ...(remainingRequests !== undefined ? { remainingRequests } : {}),
    ...(limitTokens !== undefined ? { limitTokens } : {}),
    ...(remainingTokens !== undefined ? { remainingTokens } : {}),
    ...(reset !== undefined ? { resetRequestsAt: now + reset } : {}),
  }
}
