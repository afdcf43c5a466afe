import { createMesh, defineConfig, parseSSE, type Mesh, type SSEEvent } from '@modelmesh/core'
import { anthropic } from '@modelmesh/providers-anthropic'
import { google } from '@modelmesh/providers-google'
import { openai } from '@modelmesh/providers-openai'
import { startFakeAnthropic, startFakeGoogle, startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'

export type ProviderName = 'openai' | 'anthropic' | 'google'
export const PROVIDERS: readonly ProviderName[] = ['openai', 'anthropic', 'google']
export const UPSTREAM_MODEL: Record<ProviderName, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-flash' }

export interface Fakes {
  readonly openai: FakeUpstream
  readonly anthropic: FakeUpstream
  readonly google: FakeUpstream
  close(): Promise<void>
}

export async function startFakes(): Promise<Fakes> {
  const [o, a, g] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGoogle()])
  return { openai: o, anthropic: a, google: g, close: async () => void (await Promise.all([o.close(), a.close(), g.close()])) }
}

export interface MatrixMeshOptions {
  /** Replace a provider's declared capabilities. */
  capabilities?: Partial<Record<ProviderName, string[]>>
  onError?: (error: unknown, requestId: string) => void
}

/** One public model per provider (`m-openai`, `m-anthropic`, `m-google`), no retries, so errors surface at once. */
export async function meshOverAllFakes(fakes: Fakes, options: MatrixMeshOptions = {}): Promise<Mesh> {
  const caps = (name: ProviderName) => (options.capabilities?.[name] ? { capabilities: options.capabilities[name] } : {})
  const config = defineConfig({
    providers: {
      openai: openai({ baseURL: fakes.openai.baseURL, keys: ['k-openai'], ...caps('openai') }),
      anthropic: anthropic({ baseURL: fakes.anthropic.baseURL, keys: ['k-anthropic'], ...caps('anthropic') }),
      google: google({ baseURL: fakes.google.baseURL, keys: ['k-google'], ...caps('google') }),
    },
    models: Object.fromEntries(PROVIDERS.map((p) => [`m-${p}`, { targets: [{ provider: p, model: UPSTREAM_MODEL[p] }], retry: { attempts: 0 } }])),
  })
  const mesh = createMesh(config, { onError: options.onError ?? (() => {}), background: false })
  await mesh.ready
  return mesh
}

/** What a client read from an answer, whatever its dialect. */
export interface ClientView {
  text: string
  toolCalls: Array<{ id: string; name: string; arguments: string }>
  /** Argument fragments per tool call, as streamed. */
  argumentDeltas: number[]
  /** The dialect's own finish reason (`stop`, `end_turn`, …). */
  finish: string | null
  usage: { input?: number; output?: number; cached?: number; cacheWrite?: number }
  /** Stream only: text fragments, and whether the dialect's terminal event came. */
  textDeltas: number
  terminated: boolean
  /** Stream only: an in-band error event, as sent. */
  error?: { type?: string; message?: string }
}

export interface RequestOptions {
  text?: string
  stream?: boolean
  tools?: boolean
  imageBase64?: string
  jsonSchema?: Record<string, unknown>
  maxTokens?: number
  extra?: Record<string, unknown>
}

export interface IngressClient {
  readonly name: 'openai.chat' | 'anthropic.messages'
  readonly path: string
  body(model: string, options: RequestOptions): Record<string, unknown>
  read(json: any): ClientView
  readStream(events: SSEEvent[]): ClientView
  /** The error's type in this dialect's error shape (throws if the body is not in the shape). */
  errorType(json: any): string
  /** The dialect's words for these unified finish reasons. */
  readonly finishWords: { stop: string; length: string; toolCalls: string; contentFilter: string }
}

const WEATHER = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }

const emptyView = (): ClientView => ({ text: '', toolCalls: [], argumentDeltas: [], finish: null, usage: {}, textDeltas: 0, terminated: false })

export const openAIClient: IngressClient = {
  name: 'openai.chat',
  path: '/v1/chat/completions',
  finishWords: { stop: 'stop', length: 'length', toolCalls: 'tool_calls', contentFilter: 'content_filter' },
  body(model, o) {
    const content = o.imageBase64 ? [{ type: 'text', text: o.text ?? 'Hello' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${o.imageBase64}` } }] : (o.text ?? 'Hello')
    return {
      model,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content }],
      ...(o.stream && { stream: true, stream_options: { include_usage: true } }),
      ...(o.tools && { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: WEATHER } }] }),
      ...(o.jsonSchema && { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: o.jsonSchema, strict: true } } }),
      ...(o.maxTokens && { max_tokens: o.maxTokens }),
      ...o.extra,
    }
  },
  read(json) {
    const message = json.choices[0].message
    const u = json.usage ?? {}
    return {
      ...emptyView(),
      text: message.content ?? '',
      toolCalls: (message.tool_calls ?? []).map((c: any) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
      finish: json.choices[0].finish_reason,
      usage: { input: u.prompt_tokens, output: u.completion_tokens, cached: u.prompt_tokens_details?.cached_tokens },
    }
  },
  readStream(events) {
    const view = emptyView()
    const calls = new Map<number, { id: string; name: string; arguments: string; deltas: number }>()
    for (const event of events) {
      if (event.data === '[DONE]') {
        view.terminated = true
        continue
      }
      const chunk = JSON.parse(event.data)
      if (chunk.error) view.error = { type: chunk.error.type, message: chunk.error.message }
      if (chunk.usage) view.usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens, cached: chunk.usage.prompt_tokens_details?.cached_tokens }
      const choice = chunk.choices?.[0]
      if (!choice) continue
      if (choice.delta?.content) {
        view.text += choice.delta.content
        view.textDeltas++
      }
      for (const call of choice.delta?.tool_calls ?? []) {
        const entry = calls.get(call.index) ?? { id: '', name: '', arguments: '', deltas: 0 }
        if (call.id) entry.id = call.id
        if (call.function?.name) entry.name = call.function.name
        if (call.function?.arguments) {
          entry.arguments += call.function.arguments
          entry.deltas++
        }
        calls.set(call.index, entry)
      }
      if (choice.finish_reason) view.finish = choice.finish_reason
    }
    view.toolCalls = [...calls.values()].map(({ id, name, arguments: args }) => ({ id, name, arguments: args }))
    view.argumentDeltas = [...calls.values()].map((c) => c.deltas)
    return view
  },
  errorType(json) {
    if (typeof json?.error?.message !== 'string' || typeof json.error.type !== 'string') throw new Error(`not an OpenAI error body: ${JSON.stringify(json)}`)
    return json.error.type
  },
}

export const anthropicClient: IngressClient = {
  name: 'anthropic.messages',
  path: '/v1/messages',
  finishWords: { stop: 'end_turn', length: 'max_tokens', toolCalls: 'tool_use', contentFilter: 'refusal' },
  body(model, o) {
    const content = o.imageBase64 ? [{ type: 'text', text: o.text ?? 'Hello' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: o.imageBase64 } }] : (o.text ?? 'Hello')
    return {
      model,
      max_tokens: o.maxTokens ?? 1024,
      system: 'Be brief.',
      messages: [{ role: 'user', content }],
      ...(o.stream && { stream: true }),
      ...(o.tools && { tools: [{ name: 'get_weather', description: 'Weather of a city', input_schema: WEATHER }] }),
      ...(o.jsonSchema && { output_config: { format: { type: 'json_schema', schema: o.jsonSchema } } }),
      ...o.extra,
    }
  },
  read(json) {
    const u = json.usage ?? {}
    return {
      ...emptyView(),
      text: json.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join(''),
      toolCalls: json.content.filter((b: any) => b.type === 'tool_use').map((b: any) => ({ id: b.id, name: b.name, arguments: JSON.stringify(b.input) })),
      finish: json.stop_reason,
      usage: { input: u.input_tokens, output: u.output_tokens, cached: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens },
    }
  },
  readStream(events) {
    const view = emptyView()
    const blocks: Array<{ type: string; id?: string; name?: string; json: string; deltas: number }> = []
    for (const event of events) {
      if (!event.event) throw new Error(`an Anthropic stream event without an event name: ${event.data}`)
      const data = JSON.parse(event.data)
      if (data.type !== event.event) throw new Error(`event name ${event.event} does not match its data type ${data.type}`)
      if (event.event === 'message_start') view.usage = { input: data.message.usage?.input_tokens, output: data.message.usage?.output_tokens }
      if (event.event === 'content_block_start') blocks[data.index] = { type: data.content_block.type, id: data.content_block.id, name: data.content_block.name, json: '', deltas: 0 }
      if (event.event === 'content_block_delta') {
        const block = blocks[data.index]!
        if (data.delta.type === 'text_delta') {
          view.text += data.delta.text
          view.textDeltas++
        }
        if (data.delta.type === 'input_json_delta' && data.delta.partial_json) {
          block.json += data.delta.partial_json
          block.deltas++
        }
      }
      if (event.event === 'message_delta') {
        view.finish = data.delta.stop_reason
        const u = data.usage
        view.usage = { input: u.input_tokens ?? view.usage.input, output: u.output_tokens, cached: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens }
      }
      if (event.event === 'message_stop') view.terminated = true
      if (event.event === 'error') view.error = { type: data.error.type, message: data.error.message }
    }
    const tools = blocks.filter((b) => b.type === 'tool_use')
    view.toolCalls = tools.map((b) => ({ id: b.id!, name: b.name!, arguments: b.json }))
    view.argumentDeltas = tools.map((b) => b.deltas)
    return view
  },
  errorType(json) {
    if (json?.type !== 'error' || typeof json.error?.type !== 'string' || typeof json.error.message !== 'string') throw new Error(`not an Anthropic error body: ${JSON.stringify(json)}`)
    return json.error.type
  },
}

export const INGRESSES: readonly IngressClient[] = [openAIClient, anthropicClient]

export function send(mesh: Mesh, client: IngressClient, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return mesh.fetch(new Request(`http://gateway.test${client.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }))
}

export async function readEvents(response: Response): Promise<SSEEvent[]> {
  const events: SSEEvent[] = []
  for await (const event of parseSSE(response.body! as unknown as AsyncIterable<Uint8Array>)) events.push(event)
  return events
}

/** The upstream's words for each unified finish reason, as the fakes are scripted. */
export const UPSTREAM_FINISH: Record<ProviderName, { length: string; contentFilter: string }> = {
  openai: { length: 'length', contentFilter: 'content_filter' },
  anthropic: { length: 'max_tokens', contentFilter: 'refusal' },
  google: { length: 'MAX_TOKENS', contentFilter: 'SAFETY' },
}

/** Where each upstream dialect carries what the matrix checks arrived. */
export const UPSTREAM_SAW = {
  toolName: (p: ProviderName, body: any): string | undefined =>
    p === 'openai' ? body.tools?.[0]?.function?.name : p === 'anthropic' ? body.tools?.[0]?.name : body.tools?.[0]?.functionDeclarations?.[0]?.name,
  image: (p: ProviderName, body: any): { mediaType?: string; data?: string } => {
    if (p === 'openai') {
      const url: string = body.messages.at(-1).content.find((c: any) => c.type === 'image_url')?.image_url?.url ?? ''
      const match = /^data:([^;]+);base64,(.*)$/.exec(url)
      return { mediaType: match?.[1], data: match?.[2] }
    }
    if (p === 'anthropic') {
      const source = body.messages.at(-1).content.find((c: any) => c.type === 'image')?.source
      return { mediaType: source?.media_type, data: source?.data }
    }
    const inline = body.contents.at(-1).parts.find((part: any) => part.inlineData)?.inlineData
    return { mediaType: inline?.mimeType, data: inline?.data }
  },
  schema: (p: ProviderName, body: any): unknown =>
    p === 'openai' ? body.response_format?.json_schema?.schema : p === 'anthropic' ? body.output_config?.format?.schema : body.generationConfig?.responseMimeType === 'application/json' && body.generationConfig?.responseJsonSchema,
}
