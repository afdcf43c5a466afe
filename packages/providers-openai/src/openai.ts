import type { ProviderV1 } from '@modelmesh/core'
import { checkBaseURL, descriptorOptions, type OpenAIProviderOptions } from './options.js'
import { createOpenAICompatibleProvider } from './provider.js'

/** Default capabilities of OpenAI's own API. */
export const OPENAI_CAPABILITIES: readonly string[] = Object.freeze([
  'generation.text.chat',
  'generation.text.chat.tools',
  'generation.text.chat.json-schema',
  'generation.text.chat.reasoning',
  'understanding.image',
  'understanding.file',
])

/**
 * The OpenAI API as a ModelMesh provider (`openai.chat` dialect, id `openai`).
 *
 * @example
 * providers: { openai: openai({ keys: [secret('OPENAI_API_KEY')] }) }
 */
export function openai(options: OpenAIProviderOptions = {}): ProviderV1 {
  const headers: Record<string, string> = { ...options.headers }
  if (options.organization) headers['openai-organization'] = options.organization
  if (options.project) headers['openai-project'] = options.project
  return createOpenAICompatibleProvider({
    id: 'openai',
    factory: 'openai',
    options: descriptorOptions(options),
    baseURL: checkBaseURL(options.baseURL ?? 'https://api.openai.com/v1', 'openai'),
    keys: options.keys ?? [{ $secret: 'OPENAI_API_KEY' }],
    capabilities: options.capabilities ?? OPENAI_CAPABILITIES,
    ...(options.models && { models: options.models }),
    headers,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    auth: 'bearer',
    // OpenAI deprecated max_tokens and its reasoning models reject it.
    maxTokensField: 'max_completion_tokens',
    streamUsage: true,
  })
}
