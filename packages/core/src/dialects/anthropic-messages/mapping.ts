import type { FinishReason, UnifiedFinishReason } from '../../contracts/finish-reason.js'
import type { Usage } from '../../contracts/usage.js'
import type { AnthropicUsage } from './wire-types.js'

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined

/**
 * Anthropic usage → canonical usage. Anthropic's `input_tokens` leaves out the tokens read from and
 * written to the prompt cache; the canonical `inputTokens` counts every input token, so the three
 * are added. Thinking tokens (`output_tokens_details.thinking_tokens`) are part of `output_tokens`.
 */
export function anthropicUsageToCanonical(usage: AnthropicUsage): Usage {
  const result: Usage = { raw: usage }
  const uncached = count(usage.input_tokens)
  const cacheRead = count(usage.cache_read_input_tokens)
  const cacheWrite = count(usage.cache_creation_input_tokens)
  const output = count(usage.output_tokens)
  const thinking = count(usage.output_tokens_details?.thinking_tokens)
  if (uncached !== undefined) result.inputTokens = uncached + (cacheRead ?? 0) + (cacheWrite ?? 0)
  if (cacheRead !== undefined) result.cachedInputTokens = cacheRead
  if (cacheWrite !== undefined) result.cacheWriteTokens = cacheWrite
  if (output !== undefined) result.outputTokens = output
  if (thinking !== undefined) result.reasoningTokens = thinking
  if (result.inputTokens !== undefined && output !== undefined) result.totalTokens = result.inputTokens + output
  return result
}

/**
 * Canonical usage → Anthropic usage: `input_tokens` without the cached and cache-written tokens.
 * Unknown counts are left out rather than rendered as 0.
 */
export function canonicalUsageToAnthropic(usage: Usage, extras?: Readonly<Record<string, unknown>>): AnthropicUsage {
  const result: AnthropicUsage = {}
  const cached = usage.cachedInputTokens
  const written = usage.cacheWriteTokens
  if (usage.inputTokens !== undefined) result.input_tokens = Math.max(0, usage.inputTokens - (cached ?? 0) - (written ?? 0))
  if (written !== undefined) result.cache_creation_input_tokens = written
  if (cached !== undefined) result.cache_read_input_tokens = cached
  if (usage.outputTokens !== undefined) result.output_tokens = usage.outputTokens
  if (usage.reasoningTokens !== undefined) result.output_tokens_details = { thinking_tokens: usage.reasoningTokens }
  return extras ? { ...result, ...extras } : result
}

const FINISH_FROM_ANTHROPIC: Readonly<Record<string, UnifiedFinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  refusal: 'content-filter',
  pause_turn: 'other',
}

/** Anthropic `stop_reason` → canonical `{ unified, raw }`. */
export function anthropicStopReasonToCanonical(raw: string | null | undefined): FinishReason {
  if (raw === null || raw === undefined) return { unified: 'other' }
  return { unified: FINISH_FROM_ANTHROPIC[raw] ?? 'other', raw }
}

const FINISH_TO_ANTHROPIC: Readonly<Record<UnifiedFinishReason, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  // Anthropic has no word for these; `end_turn` is what its clients handle without surprise.
  error: 'end_turn',
  other: 'end_turn',
}

/** Canonical finish reason → Anthropic `stop_reason` (an Anthropic raw value is kept as it was). */
export function canonicalFinishReasonToAnthropic(reason: FinishReason): string {
  if (reason.raw !== undefined && FINISH_FROM_ANTHROPIC[reason.raw] === reason.unified) return reason.raw
  return FINISH_TO_ANTHROPIC[reason.unified]
}
