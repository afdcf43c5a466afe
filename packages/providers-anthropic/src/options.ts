import { checkBaseURL as coreCheckBaseURL } from '@modelmesh/core'
import { type ModelInfo, type SecretRef } from '@modelmesh/core'

/** Options of `anthropic()`. All values must be JSON: they become the descriptor. */
export interface AnthropicProviderOptions {
  /** Credentials, one deployment per key; default the secret `ANTHROPIC_API_KEY`. Sent as `x-api-key`. */
  keys?: Array<SecretRef | string>
  /** Default `https://api.anthropic.com/v1`. */
  baseURL?: string
  /** The `anthropic-version` header; default `2023-06-01` (the current and only stable version). */
  version?: string
  /** `anthropic-beta` flags sent on every call, e.g. `['context-1m-2025-08-07']`. */
  betas?: string[]
  /** `max_tokens` for translated requests that set none (Anthropic requires it); default 4096. */
  defaultMaxTokens?: number
  /** Known models with pricing and limits, by upstream model id. */
  models?: Record<string, ModelInfo>
  /** Capability paths this provider serves; replaces the defaults. */
  capabilities?: string[]
  /** Extra headers on every upstream call. */
  headers?: Record<string, string>
  /** Milliseconds to wait for the upstream's response headers. */
  timeoutMs?: number
}


/** {@link coreCheckBaseURL} with this provider's example URL in its error. */
export const checkBaseURL = (value: unknown, factory: string, path = 'baseURL'): string => coreCheckBaseURL(value, factory, path, 'https://api.anthropic.com/v1')

export { descriptorOptions } from '@modelmesh/core'
