import type { ChatRequest } from '../contracts/chat-request.js'
import { CAPABILITY_TREE, capabilityCovers } from '../contracts/capability.js'
import type { ProviderV1 } from '../contracts/provider.js'

/** A feature of a request, the capability it needs, and the request field that asks for it. */
export interface RequestedFeature {
  readonly feature: string
  readonly capability: string
}

/** The features of a canonical request that not every chat model has. */
export function requestedFeatures(request: ChatRequest): RequestedFeature[] {
  const out: RequestedFeature[] = []
  if (request.tools?.length) out.push({ feature: 'tools', capability: 'generation.text.chat.tools' })
  if (request.responseFormat?.type === 'json-schema') out.push({ feature: 'JSON-schema output', capability: 'generation.text.chat.json-schema' })
  if (request.reasoning) out.push({ feature: 'reasoning', capability: 'generation.text.chat.reasoning' })
  const kinds = new Set<string>()
  for (const message of request.messages) {
    if (message.role === 'user') for (const part of message.content) kinds.add(part.type)
    if (message.role === 'tool') for (const result of message.content) if (typeof result.content !== 'string') for (const part of result.content) kinds.add(part.type)
  }
  if (kinds.has('image')) out.push({ feature: 'image input', capability: 'understanding.image' })
  if (kinds.has('file')) out.push({ feature: 'file input', capability: 'understanding.file' })
  if (kinds.has('audio')) out.push({ feature: 'audio input', capability: 'understanding.audio.input' })
  return out
}

const LEAVES: ReadonlySet<string> = new Set(CAPABILITY_TREE)

/**
 * Whether a declared capability covers a needed one. A leaf of the tree covers only itself, even when
 * other leaves sit below it (declaring `generation.text.chat` does not claim `…chat.tools`); a pure
 * node (`understanding`, `generation.text`) covers everything below it.
 */
function covers(declared: string, needed: string): boolean {
  return declared === needed || (!LEAVES.has(declared) && capabilityCovers(declared, needed))
}

/**
 * The features of `request` that `provider` (for `model`) does not declare, judged by the model's own
 * catalogue capabilities when it lists some, else by the provider's.
 */
export function missingCapabilities(request: ChatRequest, provider: ProviderV1, model: string): RequestedFeature[] {
  const declared = provider.models?.[model]?.capabilities ?? provider.capabilities
  return requestedFeatures(request).filter(({ capability }) => !declared.some((entry) => covers(entry, capability)))
}

/** The sentence a client reads when its request needs what the serving provider cannot do. */
export function unsupportedMessage(missing: readonly RequestedFeature[], provider: ProviderV1, model: string): string {
  const list = missing.map((m) => `${m.feature} (${m.capability})`).join(', ')
  return `Provider "${provider.id}" (model ${model}) does not support ${list}: it is not among the capabilities it declares. Remove it from the request or route to a model that supports it.`
}
