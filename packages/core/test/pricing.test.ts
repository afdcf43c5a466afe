import { describe, expect, it } from 'vitest'
import { costOf, findPrice, openAIUsageToCanonical, PRICING_CATALOGUE } from '../src/index.js'

describe('pricing catalogue', () => {
  it('is versioned and every entry has at least one price', () => {
    expect(PRICING_CATALOGUE.version).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    for (const [model, price] of Object.entries(PRICING_CATALOGUE.models)) expect(Object.keys(price).length, model).toBeGreaterThan(0)
  })

  it('finds a price by provider/model, or by model for re-hosting providers, and lets config override', () => {
    expect(findPrice('openai', 'gpt-4o-mini')).toMatchObject({ input: 0.15 })
    expect(findPrice('azure', 'gpt-4o-mini')).toMatchObject({ input: 0.15 })
    expect(findPrice('openai', 'gpt-4o-mini', { input: 1, output: 2 })).toEqual({ input: 1, output: 2 })
    expect(findPrice('openai', 'no-such-model')).toBeUndefined()
  })
})

describe('cost', () => {
  it('bills cached input tokens at the cached rate (openai.chat usage)', () => {
    const usage = openAIUsageToCanonical({ prompt_tokens: 10_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 8_000 } })
    const cost = costOf(usage, findPrice('openai', 'gpt-4o-mini'))
    // 2,000 × 0.15 + 8,000 × 0.075 + 1,000 × 0.6 micro-USD
    expect(cost).toEqual({ upstreamMicroUsd: 300 + 600 + 600, pricingVersion: PRICING_CATALOGUE.version, missingPrice: false, missing: [] })
    const uncached = costOf({ inputTokens: 10_000, outputTokens: 1_000 }, findPrice('openai', 'gpt-4o-mini'))
    expect(uncached.upstreamMicroUsd).toBe(1500 + 600)
  })

  it('bills cache writes at the write rate and switches to long-context prices past the threshold', () => {
    const price = findPrice('anthropic', 'claude-sonnet-4-5')
    expect(costOf({ inputTokens: 1_000, cacheWriteTokens: 1_000, outputTokens: 0 }, price).upstreamMicroUsd).toBe(3_750)
    expect(costOf({ inputTokens: 300_000, outputTokens: 1_000 }, price).upstreamMicroUsd).toBe(300_000 * 6 + 1_000 * 22.5)
  })

  it('reports a missing price instead of treating it as zero', () => {
    expect(costOf({ inputTokens: 10, outputTokens: 5 }, undefined)).toMatchObject({ missingPrice: true, missing: ['model'] })
    expect(costOf({ inputTokens: 10, outputTokens: 5 }, { input: 1 })).toMatchObject({ upstreamMicroUsd: 10, missingPrice: true, missing: ['output'] })
  })

  it('is an integer number of micro-USD', () => {
    expect(Number.isInteger(costOf({ inputTokens: 7, outputTokens: 3 }, { input: 0.333, output: 0.777 }).upstreamMicroUsd)).toBe(true)
  })
})
