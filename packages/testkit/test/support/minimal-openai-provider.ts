import {
  UpstreamError,
  type ChatRequest,
  type ChatResponse,
  type ErrorClassification,
  type ProviderCallContext,
  type ProviderV1,
  type StreamPart,
  type Usage,
} from '@modelmesh/core'
import { EventSourceParserStream } from 'eventsource-parser/stream'

// A deliberately small openai.chat provider, only to prove the conformance suite passes on a
// correct provider and fails on broken ones. The real one lives in @modelmesh/providers-openai.

type Json = Record<string, any>

const finish = (raw: string | null | undefined) =>
  ({ unified: raw === 'stop' ? 'stop' : raw === 'tool_calls' ? 'tool-calls' : raw === 'length' ? 'length' : 'other', raw: raw ?? undefined }) as const

const usageOf = (raw: Json): Usage => ({
  inputTokens: raw.prompt_tokens,
  outputTokens: raw.completion_tokens,
  cachedInputTokens: raw.prompt_tokens_details?.cached_tokens,
  reasoningTokens: raw.completion_tokens_details?.reasoning_tokens,
  totalTokens: raw.total_tokens,
  raw,
})

function toOpenAI(request: ChatRequest, stream: boolean): Json {
  return {
    model: request.model,
    messages: request.messages.map((message) => ({
      role: message.role,
      content: message.content.map((part) => ('text' in part ? part.text : '')).join(''),
    })),
    ...(request.tools
      ? { tools: request.tools.map((tool) => ({ type: 'function', function: { name: tool.name, parameters: tool.parameters } })) }
      : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  }
}

export function minimalOpenAIProvider(baseURL: string, overrides: Partial<ProviderV1> = {}): ProviderV1 {
  async function post(path: string, body: unknown, ctx: ProviderCallContext): Promise<Response> {
    return fetch(`${baseURL}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.apiKey}`, 'x-request-id': ctx.requestId },
      body: JSON.stringify(body),
      signal: ctx.signal,
    })
  }
  async function ensureOk(response: Response): Promise<Response> {
    if (response.ok) return response
    const body = await response.text()
    throw new UpstreamError({ message: `upstream answered ${response.status}`, status: response.status, body })
  }

  const provider: ProviderV1 = {
    specificationVersion: 'mesh.provider.v1',
    id: 'minimal',
    dialect: 'openai.chat',
    descriptor: { package: 'minimal', factory: 'minimalOpenAIProvider', options: { baseURL } },
    keys: [],
    capabilities: ['generation.text.chat'],
    baseURL,
    async doForward(request, ctx) {
      const response = await post(request.operation, request.body, ctx)
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: (response.body ?? new ReadableStream<Uint8Array>()) as unknown as AsyncIterable<Uint8Array>,
        text: () => response.text(),
        cancel: () => response.body?.cancel() ?? Promise.resolve(),
      }
    },
    async doChat(request, ctx): Promise<ChatResponse> {
      const json = (await (await ensureOk(await post('chat/completions', toOpenAI(request, false), ctx))).json()) as Json
      const message = json.choices[0].message
      const content: ChatResponse['content'] = []
      if (message.content) content.push({ type: 'text', text: message.content })
      for (const call of message.tool_calls ?? []) {
        content.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: call.function.arguments })
      }
      return { id: json.id, model: json.model, content, finishReason: finish(json.choices[0].finish_reason), usage: usageOf(json.usage) }
    },
    async doStream(request, ctx) {
      const response = await ensureOk(await post('chat/completions', toOpenAI(request, true), ctx))
      const events = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())
      return (async function* (): AsyncGenerator<StreamPart> {
        let finishReason: string | undefined
        let done = false
        try {
          for await (const event of events as unknown as AsyncIterable<{ data: string }>) {
            if (event.data === '[DONE]') {
              done = true
              break
            }
            const chunk = JSON.parse(event.data) as Json
            if (chunk.choices[0]?.delta?.role) yield { type: 'start', id: chunk.id, model: chunk.model }
            const delta = chunk.choices[0]?.delta ?? {}
            if (delta.content) yield { type: 'text-delta', delta: delta.content }
            for (const call of delta.tool_calls ?? []) {
              yield { type: 'tool-call-delta', index: call.index, id: call.id, name: call.function?.name, argumentsDelta: call.function?.arguments ?? '' }
            }
            if (chunk.choices[0]?.finish_reason) finishReason = chunk.choices[0].finish_reason
            if (chunk.usage) yield { type: 'usage', usage: usageOf(chunk.usage) }
          }
        } catch (error) {
          yield { type: 'error', message: String(error) }
          return
        }
        if (!done) yield { type: 'error', message: 'upstream stream ended without [DONE]' }
        else yield { type: 'finish', finishReason: finish(finishReason) }
      })()
    },
    classifyError(failure): ErrorClassification {
      const status = failure.status
      if (status === 429) {
        const seconds = Number(failure.headers?.['retry-after'])
        return { retryable: true, scope: 'rate-limit', reason: 'http_429', ...(seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}) }
      }
      if (status === 401 || status === 403) return { retryable: true, scope: 'key', reason: `http_${status}` }
      if (status !== undefined && status < 500) return { retryable: false, scope: 'request', reason: `http_${status}` }
      if (status !== undefined) return { retryable: true, scope: 'provider', reason: `http_${status}` }
      return { retryable: true, scope: 'provider', reason: failure.timeout ? `timeout_${failure.timeout}` : 'connection' }
    },
    ...overrides,
  }
  return provider
}
