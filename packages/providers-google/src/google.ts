import type { ProviderV1 } from '@modelmesh/core'
import { createGenerateProvider } from './generate-provider.js'
import { checkBaseURL, descriptorOptions } from './options-helpers.js'
import type { GoogleProviderOptions } from './options.js'

/** Default capabilities of Gemini models (2.5 and later). */
export const GOOGLE_CAPABILITIES: readonly string[] = Object.freeze([
  'generation.text.chat',
  'generation.text.chat.tools',
  'generation.text.chat.json-schema',
  'generation.text.chat.reasoning',
  'understanding.image',
  'understanding.file',
  'understanding.audio.input',
])

/**
 * The Gemini API as a ModelMesh provider (`google.generate` dialect, id `google`): `generateContent`
 * and `streamGenerateContent?alt=sse`, the key in `x-goog-api-key`.
 *
 * @example
 * providers: { google: google({ keys: [secret('GEMINI_API_KEY')] }) }
 */
export function google(options: GoogleProviderOptions = {}): ProviderV1 {
  return createGenerateProvider({
    id: 'google',
    factory: 'google',
    options: descriptorOptions(options),
    baseURL: checkBaseURL(options.baseURL ?? 'https://generativelanguage.googleapis.com/v1beta', 'google'),
    keys: options.keys ?? [{ $secret: 'GEMINI_API_KEY' }],
    capabilities: options.capabilities ?? GOOGLE_CAPABILITIES,
    ...(options.models && { models: options.models }),
    ...(options.headers && { headers: options.headers }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    authHeaders: async (ctx): Promise<Record<string, string>> => (ctx.apiKey ? { 'x-goog-api-key': ctx.apiKey } : {}),
  })
}
