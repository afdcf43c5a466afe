import { verify } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { sendJson } from '../fake-shared/http-io.js'
import type { RecordedCall } from '../fake-shared/types.js'

/** The access token the fake issues for a service account: deterministic, so tests can expect it. */
export function fakeAccessToken(clientEmail: string): string {
  return `ya29.fake-${Buffer.from(clientEmail).toString('base64url')}`
}

const decodePart = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/**
 * An OAuth 2.0 token endpoint for the JWT-bearer grant (RFC 7523), as Google's is used by service
 * accounts: it checks the form, the RS256 header, the claims (`iss`, `aud` = this endpoint, `scope`,
 * `iat`/`exp` at most an hour apart, not expired) and — when the public key of the account is
 * known — the signature, then issues {@link fakeAccessToken}.
 */
export function answerToken(res: ServerResponse, call: RecordedCall, tokenURL: string, publicKeys: Readonly<Record<string, string>>, lifetimeSeconds: number, issued: Set<string>): void {
  const fail = (description: string) => sendJson(res, 400, { error: 'invalid_grant', error_description: description })
  const form = new URLSearchParams(call.rawBody)
  if (!(call.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return fail('Expected a form-encoded body')
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return fail('Invalid grant_type')
  const [head, payload, signature] = (form.get('assertion') ?? '').split('.')
  const header = decodePart(head)
  const claims = decodePart(payload)
  if (!header || !claims || signature === undefined) return fail('Invalid JWT: not three base64url parts')
  if (header.alg !== 'RS256') return fail(`Invalid JWT: alg must be RS256, got ${String(header.alg)}`)
  const now = Math.floor(Date.now() / 1000)
  const iat = Number(claims.iat)
  const exp = Number(claims.exp)
  if (typeof claims.iss !== 'string') return fail('Invalid JWT: no iss')
  if (claims.aud !== tokenURL) return fail(`Invalid JWT: aud must be ${tokenURL}`)
  if (typeof claims.scope !== 'string' || !claims.scope.includes('https://www.googleapis.com/auth/cloud-platform')) return fail('Invalid JWT: scope must include cloud-platform')
  if (!(exp > now) || !(exp - iat <= 3600) || iat > now + 300) return fail('Invalid JWT Signature: Token must be a short-lived token (60 minutes) and in a reasonable timeframe')
  const key = publicKeys[claims.iss]
  if (key && !verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), key, Buffer.from(signature, 'base64url'))) return fail('Invalid JWT Signature.')
  const token = fakeAccessToken(claims.iss)
  issued.add(token)
  sendJson(res, 200, { access_token: token, expires_in: lifetimeSeconds, token_type: 'Bearer' })
}
