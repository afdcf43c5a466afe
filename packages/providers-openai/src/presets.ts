import { ConfigError, type ProviderV1 } from '@modelmesh/core'
import { checkBaseURL, descriptorOptions, type OpenAICompatibleOptions, type OpenAIPresetOptions } from './options.js'
import { createOpenAICompatibleProvider } from './provider.js'

const CHAT = 'generation.text.chat'
const TOOLS = 'generation.text.chat.tools'
const JSON_SCHEMA = 'generation.text.chat.json-schema'
const REASONING = 'generation.text.chat.reasoning'
const IMAGE = 'understanding.image'
const FILE = 'understanding.file'

/** What distinguishes one OpenAI-compatible service from another: pure data. */
export interface OpenAICompatiblePreset {
  /** Base URL including the API prefix. */
  readonly baseURL: string
  /** Secret name used when no `keys` are given; absent for keyless local servers. */
  readonly keySecret?: string
  /** Default capabilities (override with `capabilities`). */
  readonly capabilities: readonly string[]
  /** Whether streams ask for `stream_options.include_usage`. */
  readonly streamUsage: boolean
}

/** The presets, by provider id. Base URLs are each vendor's documented OpenAI-compatible endpoint. */
export const OPENAI_COMPATIBLE_PRESETS = Object.freeze({
  groq: { baseURL: 'https://api.groq.com/openai/v1', keySecret: 'GROQ_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
  together: { baseURL: 'https://api.together.ai/v1', keySecret: 'TOGETHER_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
  fireworks: { baseURL: 'https://api.fireworks.ai/inference/v1', keySecret: 'FIREWORKS_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
  deepseek: { baseURL: 'https://api.deepseek.com', keySecret: 'DEEPSEEK_API_KEY', capabilities: [CHAT, TOOLS, REASONING], streamUsage: true },
  xai: { baseURL: 'https://api.x.ai/v1', keySecret: 'XAI_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA, REASONING, IMAGE], streamUsage: true },
  // Mistral puts usage in its last chunk unasked; not sending stream_options avoids depending on its leniency.
  mistral: { baseURL: 'https://api.mistral.ai/v1', keySecret: 'MISTRAL_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA, IMAGE], streamUsage: false },
  openrouter: { baseURL: 'https://openrouter.ai/api/v1', keySecret: 'OPENROUTER_API_KEY', capabilities: [CHAT, TOOLS, JSON_SCHEMA, REASONING, IMAGE, FILE], streamUsage: true },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
  lmstudio: { baseURL: 'http://127.0.0.1:1234/v1', capabilities: [CHAT, TOOLS, JSON_SCHEMA], streamUsage: true },
} satisfies Record<string, OpenAICompatiblePreset>)

export type OpenAICompatiblePresetId = keyof typeof OPENAI_COMPATIBLE_PRESETS

function fromPreset(id: OpenAICompatiblePresetId, options: OpenAIPresetOptions = {}): ProviderV1 {
  const preset: OpenAICompatiblePreset = OPENAI_COMPATIBLE_PRESETS[id]
  return createOpenAICompatibleProvider({
    id,
    factory: id,
    options: descriptorOptions(options),
    baseURL: checkBaseURL(options.baseURL ?? preset.baseURL, id),
    keys: options.keys ?? (preset.keySecret ? [{ $secret: preset.keySecret }] : []),
    capabilities: options.capabilities ?? preset.capabilities,
    ...(options.models && { models: options.models }),
    ...(options.headers && { headers: options.headers }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    auth: 'bearer',
    // Every compatible server knows max_tokens; max_completion_tokens is newer and not universal.
    maxTokensField: 'max_tokens',
    streamUsage: preset.streamUsage,
  })
}

/** Groq (`https://api.groq.com/openai/v1`, key `GROQ_API_KEY` by default). */
export const groq = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('groq', options)
/** Together AI (`https://api.together.ai/v1`, key `TOGETHER_API_KEY` by default). */
export const together = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('together', options)
/** Fireworks AI (`https://api.fireworks.ai/inference/v1`, key `FIREWORKS_API_KEY` by default). */
export const fireworks = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('fireworks', options)
/** DeepSeek (`https://api.deepseek.com`, key `DEEPSEEK_API_KEY` by default); reasoning arrives as reasoning deltas. */
export const deepseek = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('deepseek', options)
/** xAI Grok (`https://api.x.ai/v1`, key `XAI_API_KEY` by default). */
export const xai = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('xai', options)
/** Mistral (`https://api.mistral.ai/v1`, key `MISTRAL_API_KEY` by default). */
export const mistral = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('mistral', options)
/** OpenRouter (`https://openrouter.ai/api/v1`, key `OPENROUTER_API_KEY` by default). */
export const openrouter = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('openrouter', options)
/** A local Ollama server (`http://127.0.0.1:11434/v1`), keyless by default. */
export const ollama = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('ollama', options)
/** A local vLLM server (`http://127.0.0.1:8000/v1`), keyless unless started with `--api-key`. */
export const vllm = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('vllm', options)
/** A local LM Studio server (`http://127.0.0.1:1234/v1`), keyless by default. */
export const lmstudio = (options?: OpenAIPresetOptions): ProviderV1 => fromPreset('lmstudio', options)

/**
 * Any other server speaking OpenAI Chat Completions, under your own provider id.
 *
 * @example
 * providers: { internal: openaiCompatible({ id: 'internal', baseURL: 'https://llm.internal/v1', keys: [secret('INTERNAL_KEY')] }) }
 */
export function openaiCompatible(options: OpenAICompatibleOptions): ProviderV1 {
  if (typeof options?.id !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(options.id)) {
    throw new ConfigError([{ path: 'openaiCompatible().id', expected: 'a provider id such as "my-vllm" (letters, digits, - and _)', found: JSON.stringify(options?.id) }])
  }
  return createOpenAICompatibleProvider({
    id: options.id,
    factory: 'openaiCompatible',
    options: descriptorOptions(options),
    baseURL: checkBaseURL(options?.baseURL, 'openaiCompatible'),
    keys: options.keys ?? [],
    capabilities: options.capabilities ?? [CHAT],
    ...(options.models && { models: options.models }),
    ...(options.headers && { headers: options.headers }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    auth: 'bearer',
    maxTokensField: options.maxTokensField ?? 'max_tokens',
    streamUsage: options.streamUsage ?? true,
  })
}
