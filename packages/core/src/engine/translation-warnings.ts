import type { ChatRequest } from '../contracts/chat-request.js'
import type { Dialect } from '../contracts/dialect.js'
import type { ProviderV1 } from '../contracts/provider.js'

/** Canonical fields a dialect has no word for, so its providers cannot honour them. */
const IGNORED_BY_DIALECT: Readonly<Record<Dialect, ReadonlyArray<(request: ChatRequest) => string | undefined>>> = {
  'openai.chat': [(r) => (r.topK !== undefined ? 'top_k' : undefined), (r) => (r.reasoning?.budgetTokens !== undefined ? 'reasoning budget_tokens' : undefined)],
  'anthropic.messages': [
    (r) => (r.seed !== undefined ? 'seed' : undefined),
    (r) => (r.presencePenalty !== undefined ? 'presence_penalty' : undefined),
    (r) => (r.frequencyPenalty !== undefined ? 'frequency_penalty' : undefined),
  ],
  'google.generate': [(r) => (r.parallelToolCalls !== undefined ? 'parallel_tool_calls' : undefined), (r) => (r.user !== undefined ? 'user' : undefined)],
  'bedrock.converse': [],
}

/**
 * The `providerOptions` namespaces a provider reads: its own id and its dialect's vendor
 * (`openai` for `openai.chat`, …). Options under any other namespace cannot reach it.
 */
export function providerOptionsNamespaces(provider: ProviderV1): string[] {
  return [...new Set([provider.id, provider.dialect.split('.')[0]!])]
}

/**
 * What a cross-dialect request loses on its way to `provider`: fields the client sent that were
 * kept in another provider's `providerOptions` namespace, and canonical fields the provider's
 * dialect cannot express. Sent to the client in the `x-mesh-warnings` header, never silently.
 */
export function translationWarnings(request: ChatRequest, provider: ProviderV1): string[] {
  const warnings: string[] = []
  const readable = providerOptionsNamespaces(provider)
  for (const [namespace, options] of Object.entries(request.providerOptions ?? {})) {
    if (readable.includes(namespace)) continue
    const fields = Object.keys(options)
    if (fields.length > 0) warnings.push(`${provider.id} ignores ${namespace} fields: ${fields.join(', ')}`)
  }
  const ignored = IGNORED_BY_DIALECT[provider.dialect].flatMap((check) => check(request) ?? [])
  if (ignored.length > 0) warnings.push(`${provider.id} ignores: ${ignored.join(', ')}`)
  return warnings
}
