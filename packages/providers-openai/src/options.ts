import { checkBaseURL as coreCheckBaseURL } from '@modelmesh/core'
import { type ModelInfo, type SecretRef } from '@modelmesh/core'

/** Options every OpenAI-speaking provider takes. All values must be JSON: they become the descriptor. */
export interface OpenAIBaseOptions {
  /**
   * Credentials, one deployment per key. Use `secret('NAME')` (a reference resolved at start-up);
   * plain strings are taken as literal keys and end up in the compiled config, so keep them for tests.
   * Each hosted preset defaults to the secret named after its usual environment variable
   * (`OPENAI_API_KEY`, `GROQ_API_KEY`, …); local servers default to no key.
   */
  keys?: Array<SecretRef | string>
  /** Extra headers on every upstream call. */
  headers?: Record<string, string>
  /** Known models with pricing and limits, by upstream model id. */
  models?: Record<string, ModelInfo>
  /** Capability paths this provider serves; replaces the preset's defaults. */
  capabilities?: string[]
  /**
   * Milliseconds to wait for the upstream's response headers: for a streamed call the time to the
   * first byte, for a non-streamed one nearly the whole call. The engine's own timeouts still apply.
   */
  timeoutMs?: number
}

/** Options of `openai()`. */
export interface OpenAIProviderOptions extends OpenAIBaseOptions {
  /** Default `https://api.openai.com/v1`. */
  baseURL?: string
  /** Sent as `OpenAI-Organization`. */
  organization?: string
  /** Sent as `OpenAI-Project`. */
  project?: string
}

/** Options of the hosted and local presets (`groq`, `ollama`, …). */
export interface OpenAIPresetOptions extends OpenAIBaseOptions {
  /** Overrides the preset's base URL (a proxy, another region, a non-default local port). */
  baseURL?: string
}

/** Options of `openaiCompatible()`: any server speaking OpenAI Chat Completions. */
export interface OpenAICompatibleOptions extends OpenAIBaseOptions {
  /** Provider id, used in logs and as the `providerOptions` namespace (e.g. `'my-vllm'`). */
  id: string
  /** Base URL including the API prefix, e.g. `https://llm.internal/v1`. */
  baseURL: string
  /** Where canonical calls put the output limit; default `max_tokens`, which compatible servers know best. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens'
  /** Ask for usage in streams with `stream_options.include_usage`; default true. */
  streamUsage?: boolean
}

/** Options of `azureOpenAI()`. */
export interface AzureOpenAIOptions extends OpenAIBaseOptions {
  /** The Azure resource name: calls go to `https://<resourceName>.openai.azure.com/openai`. */
  resourceName?: string
  /** Instead of `resourceName`: the resource endpoint, e.g. `https://my-proxy.example.com` (`/openai` is appended). */
  baseURL?: string
  /** The `api-version` query parameter; default `2024-10-21` (a GA version). */
  apiVersion?: string
  /** Upstream model id → Azure deployment name. Models not listed use their id as the deployment name. */
  deployments?: Record<string, string>
}


/** {@link coreCheckBaseURL} with this provider's example URL in its error. */
export const checkBaseURL = (value: unknown, factory: string, path = 'baseURL'): string => coreCheckBaseURL(value, factory, path, 'https://api.example.com/v1')

export { descriptorOptions } from '@modelmesh/core'
