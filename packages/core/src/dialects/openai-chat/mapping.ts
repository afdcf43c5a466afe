import type { FinishReason, UnifiedFinishReason } from '../../contracts/finish-reason.js'
import type { Usage } from '../../contracts/usage.js'
import type { OpenAIUsage } from './wire-types.js'

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined

/**
 * OpenAI usage → canonical usage. Counts the upstream did not report stay `undefined` (never 0), and
 * the upstream object is kept as `raw` for billing audits.
 */
export function openAIUsageToCanonical(usage: OpenAIUsage): Usage {
  const result: Usage = { raw: usage }
  const input = count(usage.prompt_tokens)
  const output = count(usage.completion_tokens)
  const total = count(usage.total_tokens)
  const cached = count(usage.prompt_tokens_details?.cached_tokens) ?? count(usage.prompt_cache_hit_tokens)
  const reasoning = count(usage.completion_tokens_details?.reasoning_tokens)
  if (input !== undefined) result.inputTokens = input
  if (output !== undefined) result.outputTokens = output
  if (total !== undefined) result.totalTokens = total
  if (cached !== undefined) result.cachedInputTokens = cached
  if (reasoning !== undefined) result.reasoningTokens = reasoning
  return result
}

/**
 * Canonical usage → OpenAI usage. Unknown counts are left out rather than rendered as 0: a wrong
 * zero would mislead a client's own accounting more than a missing field.
 */
export function canonicalUsageToOpenAI(usage: Usage, extras?: Readonly<Record<string, unknown>>): OpenAIUsage {
  const result: OpenAIUsage = {}
  if (usage.inputTokens !== undefined) result.prompt_tokens = usage.inputTokens
  if (usage.outputTokens !== undefined) result.completion_tokens = usage.outputTokens
  const total = usage.totalTokens ?? (usage.inputTokens !== undefined && usage.outputTokens !== undefined ? usage.inputTokens + usage.outputTokens : undefined)
  if (total !== undefined) result.total_tokens = total
  if (usage.cachedInputTokens !== undefined) result.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens }
  if (usage.reasoningTokens !== undefined) result.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens }
  return extras ? { ...result, ...extras } : result
}

const FINISH_FROM_OPENAI: Readonly<Record<string, UnifiedFinishReason>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
}

/** OpenAI `finish_reason` → canonical `{ unified, raw }`. Values compatible servers invent become `other`. */
export function openAIFinishReasonToCanonical(raw: string | null | undefined): FinishReason {
  if (raw === null || raw === undefined) return { unified: 'other' }
  return { unified: FINISH_FROM_OPENAI[raw] ?? 'other', raw }
}

const FINISH_TO_OPENAI: Readonly<Record<UnifiedFinishReason, string>> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  // OpenAI has no word for these; `stop` is what its clients handle without surprise.
  error: 'stop',
  other: 'stop',
}

/** Canonical finish reason → OpenAI `finish_reason`. */
export function canonicalFinishReasonToOpenAI(reason: FinishReason): string {
  return FINISH_TO_OPENAI[reason.unified]
}

/** Split a `data:<mediaType>;base64,<data>` URL; undefined for anything else. */
export function parseDataURL(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*?);base64,/i.exec(url)
  if (!match) return undefined
  return { mediaType: match[1] || 'application/octet-stream', data: url.slice(match[0].length) }
}

export function toDataURL(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`
}

/** `input_audio.format` ↔ media type. OpenAI accepts `wav` and `mp3`; others pass through as `audio/<format>`. */
export function audioFormatToMediaType(format: string): string {
  return format === 'mp3' ? 'audio/mpeg' : `audio/${format}`
}

export function mediaTypeToAudioFormat(mediaType: string): string {
  const subtype = mediaType.split('/')[1]?.split(';')[0] ?? mediaType
  if (subtype === 'mpeg' || subtype === 'mp3') return 'mp3'
  if (subtype === 'x-wav' || subtype === 'wave' || subtype === 'vnd.wave') return 'wav'
  return subtype
}
