import { ConfigError, type ProviderV1, type SecretRef } from '@modelmesh/core'
import { createGenerateProvider } from './generate-provider.js'
import { GOOGLE_CAPABILITIES } from './google.js'
import { checkBaseURL, descriptorOptions } from './options-helpers.js'
import type { ServiceAccountKey, VertexProviderOptions } from './options.js'
import { AccessTokens } from './service-account-auth.js'

const NAME = /^[a-z0-9][a-z0-9-]*$/

/** The Vertex AI base URL of Google's publisher models in a project and region. */
export function vertexBaseURL(project: string, location: string): string {
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`
  return `https://${host}/v1/projects/${project}/locations/${location}/publishers/google`
}

const isSecretRef = (value: unknown): value is SecretRef => typeof value === 'object' && value !== null && typeof (value as SecretRef).$secret === 'string'

/**
 * Gemini on Vertex AI as a ModelMesh provider (`google.generate` dialect, id `vertex`). Each call
 * carries `Authorization: Bearer <access token>`; the token comes from the service account (its
 * key signs an RS256 JWT exchanged at the token endpoint) and is cached until a minute before it
 * expires. Each service account is one credential, so several give several deployments.
 *
 * @example
 * providers: { vertex: vertex({ project: 'acme-ai', location: 'us-central1', serviceAccount: secret('VERTEX_SA_JSON') }) }
 */
export function vertex(options: VertexProviderOptions): ProviderV1 {
  for (const field of ['project', 'location'] as const) {
    if (typeof options?.[field] !== 'string' || !NAME.test(options[field])) {
      throw new ConfigError([{ path: `vertex().${field}`, expected: field === 'project' ? 'a Google Cloud project id' : 'a region such as us-central1, or global', found: JSON.stringify(options?.[field]) }])
    }
  }
  const accounts = (Array.isArray(options.serviceAccount) ? options.serviceAccount : [options.serviceAccount]) as Array<SecretRef | string | ServiceAccountKey>
  if (accounts.length === 0 || accounts.some((a) => a === undefined || a === null)) {
    throw new ConfigError([{ path: 'vertex().serviceAccount', expected: "secret('NAME') holding the service account key JSON", found: JSON.stringify(options.serviceAccount) }])
  }
  const keys = accounts.map((account) => (isSecretRef(account) || typeof account === 'string' ? account : JSON.stringify(account)))
  const tokens = new AccessTokens(options.tokenURI !== undefined ? checkBaseURL(options.tokenURI, 'vertex', 'tokenURI') : undefined)
  return createGenerateProvider({
    id: 'vertex',
    factory: 'vertex',
    options: descriptorOptions(options),
    baseURL: options.baseURL !== undefined ? checkBaseURL(options.baseURL, 'vertex') : vertexBaseURL(options.project, options.location),
    keys,
    capabilities: options.capabilities ?? GOOGLE_CAPABILITIES,
    ...(options.models && { models: options.models }),
    ...(options.headers && { headers: options.headers }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    staticModelList: true,
    async authHeaders(ctx) {
      if (!ctx.apiKey) throw new ConfigError([{ path: 'vertex().serviceAccount', expected: 'a resolved service account key', found: 'nothing' }])
      return { authorization: `Bearer ${await tokens.get(ctx.apiKey, ctx.signal)}` }
    },
  })
}
