import type { ChatResponse } from '../../contracts/chat-response.js'
import { toolInput } from '../anthropic-messages/response.js'
import { canonicalFinishReasonToGoogle, canonicalUsageToGoogle, googleFinishReasonToCanonical, googleUsageToCanonical } from './mapping.js'
import type { GoogleGenerateContentResponse, GooglePart } from './wire-types.js'

type Json = Record<string, unknown>
type ContentPart = ChatResponse['content'][number]

/**
 * One Gemini part → canonical content. `thought` text is reasoning; a `thoughtSignature` travels in
 * `providerOptions.google` so it can be sent back on the next turn. Function calls without Gemini's
 * own `id` get `call_<responseId>_<n>`.
 */
export function googlePartToCanonical(part: GooglePart, callId: () => string): ContentPart | undefined {
  const signed = typeof part.thoughtSignature === 'string' ? { providerOptions: { google: { thoughtSignature: part.thoughtSignature } } } : {}
  if (part.functionCall) {
    return { type: 'tool-call', id: part.functionCall.id ?? callId(), name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}), ...signed }
  }
  if (typeof part.text !== 'string') return undefined
  return part.thought ? { type: 'reasoning', text: part.text, ...signed } : { type: 'text', text: part.text, ...signed }
}

/**
 * A Gemini `GenerateContentResponse` → canonical {@link ChatResponse}. Only the first candidate is
 * read. A prompt blocked before any candidate is an empty answer finishing with `content-filter`
 * (raw: the block reason). Safety ratings and prompt feedback land in `providerMetadata.google`.
 *
 * @throws TypeError when the object is not a response at all (no candidates, no prompt feedback).
 */
export function googleResponseToCanonical(json: unknown): ChatResponse {
  const response = json as GoogleGenerateContentResponse
  if (!response || typeof response !== 'object' || (!Array.isArray(response.candidates) && !response.promptFeedback)) {
    throw new TypeError('Upstream answer is not a Gemini GenerateContentResponse: no candidates')
  }
  const candidate = response.candidates?.[0]
  const id = String(response.responseId ?? '')
  let calls = 0
  const content = (candidate?.content?.parts ?? []).flatMap((part) => googlePartToCanonical(part, () => `call_${id}_${calls++}`) ?? [])
  const result: ChatResponse = {
    id,
    model: String(response.modelVersion ?? ''),
    content,
    finishReason: googleFinishReasonToCanonical(candidate?.finishReason, content.some((p) => p.type === 'tool-call'), response.promptFeedback?.blockReason),
    usage: response.usageMetadata ? googleUsageToCanonical(response.usageMetadata) : {},
  }
  const metadata: Json = {}
  if (candidate?.safetyRatings) metadata.safetyRatings = candidate.safetyRatings
  if (response.promptFeedback) metadata.promptFeedback = response.promptFeedback
  if (Object.keys(metadata).length > 0) result.providerMetadata = { google: metadata }
  return result
}

/** Canonical {@link ChatResponse} → a Gemini `GenerateContentResponse` under the public model name. */
export function canonicalToGoogleResponse(resp: ChatResponse, publicModel: string): Json {
  const parts = resp.content.map((part): GooglePart => {
    const signature = part.providerOptions?.google?.thoughtSignature
    const signed = typeof signature === 'string' ? { thoughtSignature: signature } : {}
    if (part.type === 'text') return { text: part.text, ...signed }
    if (part.type === 'reasoning') return { text: part.text, thought: true, ...signed }
    const args = toolInput(part.arguments)
    return { functionCall: { id: part.id, name: part.name, args: args as Record<string, unknown> }, ...signed }
  })
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: canonicalFinishReasonToGoogle(resp.finishReason), index: 0 }],
    usageMetadata: canonicalUsageToGoogle(resp.usage),
    modelVersion: publicModel,
    responseId: resp.id,
  }
}
