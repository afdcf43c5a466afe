import type { Usage } from '../contracts/usage.js'
import catalogue from './catalogue.json' with { type: 'json' }

/** Prices in USD per million tokens, or per unit where named. */
export interface Price {
  input?: number
  output?: number
  cachedInput?: number
  cacheWrite?: number
  perRequest?: number
  perImage?: number
  perAudioSecond?: number
  /** Prices that apply instead when the prompt is longer than `threshold` tokens. */
  longContext?: Omit<Price, 'longContext' | 'perRequest' | 'perImage' | 'perAudioSecond'> & { threshold: number }
}

export interface PricingCatalogue {
  readonly version: string
  readonly models: Readonly<Record<string, Price>>
}

/** The catalogue shipped with this version of the core. */
export const PRICING_CATALOGUE: PricingCatalogue = catalogue as PricingCatalogue

export interface Cost {
  /** What the upstream charges, in micro-USD (integer). */
  readonly upstreamMicroUsd: number
  readonly pricingVersion: string
  /** Usage had tokens of a kind the price does not cover: the cost is a lower bound. */
  readonly missingPrice: boolean
  /** The kinds that had no price. */
  readonly missing: readonly string[]
}

/**
 * Look up a price: an override (config) first, then `provider/model`, then the model alone for
 * providers that re-host another's models (an OpenAI-compatible preset serving `gpt-4o-mini`).
 */
export function findPrice(providerId: string, model: string, override?: Price, table: PricingCatalogue = PRICING_CATALOGUE): Price | undefined {
  if (override) return override
  return table.models[`${providerId}/${model}`] ?? Object.entries(table.models).find(([k]) => k.endsWith(`/${model}`))?.[1]
}

/**
 * Cost of a usage in micro-USD (integers: money is never a float here). Cached input tokens are
 * billed at the cached rate, cache writes at the write rate, the rest of the input at the input
 * rate. A count with no price is reported as missing, never priced at zero silently.
 */
export function costOf(usage: Usage, price: Price | undefined, version = PRICING_CATALOGUE.version): Cost {
  const missing: string[] = []
  if (!price) {
    const anything = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) > 0
    return { upstreamMicroUsd: 0, pricingVersion: version, missingPrice: anything, missing: anything ? ['model'] : [] }
  }
  const input = usage.inputTokens ?? 0
  const cached = usage.cachedInputTokens ?? 0
  const written = usage.cacheWriteTokens ?? 0
  const output = usage.outputTokens ?? 0
  const tier = price.longContext && input > price.longContext.threshold ? { ...price, ...price.longContext } : price
  const charge = (tokens: number, rate: number | undefined, kind: string, fallback?: number): number => {
    if (tokens <= 0) return 0
    const r = rate ?? fallback
    if (r === undefined) {
      missing.push(kind)
      return 0
    }
    return tokens * r // tokens × USD per million = micro-USD
  }
  const micro =
    charge(Math.max(0, input - cached - written), tier.input, 'input') +
    // Without a cached rate the provider bills cached tokens as plain input.
    charge(cached, tier.cachedInput, 'cachedInput', tier.input) +
    charge(written, tier.cacheWrite, 'cacheWrite', tier.input) +
    charge(output, tier.output, 'output') +
    (price.perRequest ?? 0) * 1e6
  return { upstreamMicroUsd: Math.round(micro), pricingVersion: version, missingPrice: missing.length > 0, missing }
}
