import { ConfigError, type ModelInfo, type SecretRef } from '@modelmesh/core'

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

/** A deep JSON copy of factory options, for the descriptor (undefined values dropped). */
export function descriptorOptions(options: object | undefined): Record<string, unknown> {
  return options ? (JSON.parse(JSON.stringify(options)) as Record<string, unknown>) : {}
}

/** Checks a base URL early, so a typo fails at start-up with its path rather than at the first call. */
export function checkBaseURL(value: unknown, factory: string, path = 'baseURL'): string {
  let url: URL | undefined
  try {
    url = new URL(String(value))
  } catch {
    url = undefined
  }
  if (typeof value !== 'string' || !url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError([{ path: `${factory}().${path}`, expected: 'an http(s) URL such as https://api.anthropic.com/v1', found: JSON.stringify(value) }])
  }
  return value.replace(/\/+$/, '')
}
