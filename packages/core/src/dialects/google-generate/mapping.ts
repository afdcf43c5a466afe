import type { FinishReason, UnifiedFinishReason } from '../../contracts/finish-reason.js'
import type { Usage } from '../../contracts/usage.js'
import type { GoogleUsageMetadata } from './wire-types.js'

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined

/**
 * Gemini `usageMetadata` → canonical usage. `promptTokenCount` already includes the cached tokens
 * (`cachedContentTokenCount`); `candidatesTokenCount` leaves out the thinking tokens
 * (`thoughtsTokenCount`), so the canonical output count adds them back.
 */
export function googleUsageToCanonical(usage: GoogleUsageMetadata): Usage {
  const result: Usage = { raw: usage }
  const prompt = count(usage.promptTokenCount)
  const toolPrompt = count(usage.toolUsePromptTokenCount)
  const candidates = count(usage.candidatesTokenCount)
  const thoughts = count(usage.thoughtsTokenCount)
  const cached = count(usage.cachedContentTokenCount)
  const total = count(usage.totalTokenCount)
  if (prompt !== undefined) result.inputTokens = prompt + (toolPrompt ?? 0)
  if (candidates !== undefined || thoughts !== undefined) result.outputTokens = (candidates ?? 0) + (thoughts ?? 0)
  if (cached !== undefined) result.cachedInputTokens = cached
  if (thoughts !== undefined) result.reasoningTokens = thoughts
  if (total !== undefined) result.totalTokens = total
  return result
}

/** Canonical usage → Gemini `usageMetadata`; unknown counts are left out. */
export function canonicalUsageToGoogle(usage: Usage): GoogleUsageMetadata {
  const result: GoogleUsageMetadata = {}
  if (usage.inputTokens !== undefined) result.promptTokenCount = usage.inputTokens
  if (usage.outputTokens !== undefined) result.candidatesTokenCount = usage.outputTokens - (usage.reasoningTokens ?? 0)
  if (usage.cachedInputTokens !== undefined) result.cachedContentTokenCount = usage.cachedInputTokens
  if (usage.reasoningTokens !== undefined) result.thoughtsTokenCount = usage.reasoningTokens
  const total = usage.totalTokens ?? (usage.inputTokens !== undefined && usage.outputTokens !== undefined ? usage.inputTokens + usage.outputTokens : undefined)
  if (total !== undefined) result.totalTokenCount = total
  return result
}

const FINISH_FROM_GOOGLE: Readonly<Record<string, UnifiedFinishReason>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content-filter',
  RECITATION: 'content-filter',
  BLOCKLIST: 'content-filter',
  PROHIBITED_CONTENT: 'content-filter',
  SPII: 'content-filter',
  IMAGE_SAFETY: 'content-filter',
  IMAGE_PROHIBITED_CONTENT: 'content-filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
}

/**
 * Gemini `finishReason` → canonical. Gemini says `STOP` after function calls too, so a `STOP` with
 * tool calls in the answer is `tool-calls`. A prompt blocked before any candidate
 * (`promptFeedback.blockReason`) is a content filter.
 */
export function googleFinishReasonToCanonical(raw: string | undefined, hasToolCalls: boolean, blockReason?: string): FinishReason {
  if (raw === undefined) return blockReason ? { unified: 'content-filter', raw: blockReason } : { unified: 'other' }
  if (raw === 'STOP' && hasToolCalls) return { unified: 'tool-calls', raw }
  return { unified: FINISH_FROM_GOOGLE[raw] ?? 'other', raw }
}

const FINISH_TO_GOOGLE: Readonly<Record<UnifiedFinishReason, string>> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  'tool-calls': 'STOP',
  'content-filter': 'SAFETY',
  error: 'OTHER',
  other: 'OTHER',
}

/** Canonical finish reason → Gemini `finishReason` (a Gemini raw value is kept). */
export function canonicalFinishReasonToGoogle(reason: FinishReason): string {
  if (reason.raw !== undefined && /^[A-Z_]+$/.test(reason.raw)) return reason.raw
  return FINISH_TO_GOOGLE[reason.unified]
}
