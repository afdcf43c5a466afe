import { createHash, createSign } from 'node:crypto'
import { upstreamRequest, UpstreamError } from '@modelmesh/core'
import type { ServiceAccountKey } from './options.js'

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token'
/** Refresh this long before the token expires, so a call never leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** Parses a service-account key (the JSON text a secret holds); says what is wrong without echoing the key. */
export function parseServiceAccount(text: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>
  try {
    key = JSON.parse(text) as Partial<ServiceAccountKey>
  } catch {
    throw new UpstreamError({ message: 'The Vertex AI service account is not valid JSON; give the key file\'s JSON as the secret.', classification: { retryable: true, scope: 'key', reason: 'invalid_service_account' } })
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new UpstreamError({ message: 'The Vertex AI service account lacks client_email or private_key.', classification: { retryable: true, scope: 'key', reason: 'invalid_service_account' } })
  }
  return key as ServiceAccountKey
}

/**
 * The RS256-signed JWT of the OAuth 2.0 JWT-bearer grant (RFC 7523) Google's token endpoint takes
 * from a service account: `iss` = the account, `aud` = the token endpoint, one hour of validity.
 * Signed with `node:crypto` (one signature over two small JSON objects needs no JOSE library).
 */
export function serviceAccountAssertion(key: ServiceAccountKey, tokenURI: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000)
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id && { kid: key.private_key_id }) }
  const claims = { iss: key.client_email, sub: key.client_email, aud: tokenURI, scope: SCOPE, iat, exp: iat + 3600 }
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key)
  return `${unsigned}.${base64url(signature)}`
}

interface CachedToken {
  token: string
  expiresAt: number
}

/**
 * Access tokens per service account, fetched with a signed assertion and cached until a minute
 * before they expire; concurrent calls share one fetch.
 */
export class AccessTokens {
  private readonly cache = new Map<string, Promise<CachedToken>>()

  constructor(
    private readonly tokenURIOverride: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async get(serviceAccountJSON: string, signal: AbortSignal): Promise<string> {
    const id = createHash('sha256').update(serviceAccountJSON).digest('hex')
    const cached = this.cache.get(id)
    if (cached) {
      const value = await cached.catch(() => undefined)
      if (value && value.expiresAt - REFRESH_MARGIN_MS > this.now()) return value.token
      if (this.cache.get(id) !== cached) return this.get(serviceAccountJSON, signal)
    }
    const fetching = this.fetch(parseServiceAccount(serviceAccountJSON), signal)
    this.cache.set(id, fetching)
    fetching.catch(() => this.cache.get(id) === fetching && this.cache.delete(id))
    return (await fetching).token
  }

  private async fetch(key: ServiceAccountKey, signal: AbortSignal): Promise<CachedToken> {
    const tokenURI = this.tokenURIOverride ?? key.token_uri ?? DEFAULT_TOKEN_URI
    const started = this.now()
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: serviceAccountAssertion(key, tokenURI, started) })
    const response = await upstreamRequest({ url: tokenURI, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString(), signal })
    const text = await response.text()
    if (response.status !== 200) {
      throw new UpstreamError({
        message: `The token endpoint refused service account ${key.client_email} (${response.status}): ${text.slice(0, 300)}`,
        status: 401,
        body: text.slice(0, 4096),
        classification: { retryable: true, scope: 'key', reason: 'token_exchange_failed' },
      })
    }
    const json = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown }
    if (typeof json.access_token !== 'string') throw new UpstreamError({ message: 'The token endpoint answered without an access_token', classification: { retryable: true, scope: 'provider', reason: 'token_exchange_failed' } })
    const lifetime = typeof json.expires_in === 'number' ? json.expires_in : 3600
    return { token: json.access_token, expiresAt: started + lifetime * 1000 }
  }
}
