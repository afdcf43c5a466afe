import { asRecord, planAnswer, randomId, split } from '../fake-shared/answer-plan.js'
import type { Behavior, FakeUsage, RecordedCall } from '../fake-shared/types.js'

export interface GenerateAnswer {
  responseId: string
  modelVersion: string
  text: string | null
  toolCalls: Array<{ id: string | undefined; name: string; arguments: string }>
  finishReason: string
  usage: Record<string, unknown> | null
}

/** OpenAI-worded fake usage → Gemini `usageMetadata` (cached tokens inside the prompt count, thoughts outside the candidates count). */
export function googleUsage(usage: FakeUsage): Record<string, unknown> {
  const thoughts = usage.reasoning_tokens ?? 0
  return {
    promptTokenCount: usage.prompt_tokens,
    candidatesTokenCount: usage.completion_tokens - thoughts,
    totalTokenCount: usage.prompt_tokens + usage.completion_tokens,
    ...(usage.cached_tokens ? { cachedContentTokenCount: usage.cached_tokens } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.prompt_tokens }],
  }
}

const partsText = (content: unknown): string =>
  (Array.isArray(asRecord(content).parts) ? (asRecord(content).parts as unknown[]) : []).map((p) => String(asRecord(p).text ?? '')).join('')

export function planGenerateAnswer(behavior: Behavior, call: RecordedCall, model: string): GenerateAnswer {
  const body = asRecord(call.body)
  const contents = Array.isArray(body.contents) ? body.contents : []
  const users = contents.filter((c) => (asRecord(c).role ?? 'user') === 'user').map(partsText).filter(Boolean)
  const plan = planAnswer(behavior, call, {
    promptText: [partsText(body.systemInstruction), ...contents.map(partsText)].join('\n'),
    lastUserText: users.at(-1),
    fallbackText: 'Hello from the fake Google upstream.',
  })
  return {
    responseId: randomId('', 22),
    modelVersion: behavior.model ?? model,
    text: plan.text,
    toolCalls: plan.toolCalls,
    finishReason: behavior.finishReason ?? 'STOP',
    usage: plan.usage === null ? null : googleUsage(plan.usage),
  }
}

const args = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return {}
  }
}

const callPart = (call: GenerateAnswer['toolCalls'][number]) => ({ functionCall: { ...(call.id && { id: call.id }), name: call.name, args: args(call.arguments) } })

/** A `GenerateContentResponse`, as `generateContent` returns it. */
export function responseObject(answer: GenerateAnswer): Record<string, unknown> {
  const parts: unknown[] = []
  if (answer.text) parts.push({ text: answer.text })
  for (const call of answer.toolCalls) parts.push(callPart(call))
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: answer.finishReason, index: 0 }],
    ...(answer.usage && { usageMetadata: answer.usage }),
    modelVersion: answer.modelVersion,
    responseId: answer.responseId,
  }
}

/**
 * The chunks of `streamGenerateContent?alt=sse`, each a whole `GenerateContentResponse` framed as
 * `data: …\r\n\r\n`: text in pieces (every chunk with the prompt count so far), each function call
 * whole in one chunk, and the finish reason with the full usage on the last chunk.
 */
export function responseChunks(answer: GenerateAnswer, chunkSize: number): string[] {
  const size = Math.max(1, Math.floor(chunkSize))
  const partial = answer.usage ? { promptTokenCount: answer.usage.promptTokenCount, totalTokenCount: answer.usage.promptTokenCount } : undefined
  const chunk = (parts: unknown[], last: boolean) => ({
    candidates: [{ content: { role: 'model', parts }, ...(last && { finishReason: answer.finishReason }), index: 0 }],
    ...((last ? answer.usage : partial) && { usageMetadata: last ? answer.usage : partial }),
    modelVersion: answer.modelVersion,
    responseId: answer.responseId,
  })
  const pieces: unknown[][] = split(answer.text ?? '', size).map((text) => [{ text }])
  for (const call of answer.toolCalls) pieces.push([callPart(call)])
  if (pieces.length === 0) pieces.push([{ text: '' }])
  return pieces.map((parts, i) => `data: ${JSON.stringify(chunk(parts, i === pieces.length - 1))}\r\n\r\n`)
}
