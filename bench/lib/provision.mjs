// Create what ModelMesh full needs before it serves: an account with credits and a virtual key with a
// rate limit, through the admin API. `call(path, body)` sends an admin request and resolves its JSON.
export const ADMIN_KEY = process.env.BENCH_ADMIN_KEY ?? 'bench-admin-key-not-secret'

export async function provision(call) {
  const accountId = `acct_bench_${Date.now().toString(36)}`
  await call('/accounts', { id: accountId, name: 'bench' })
  // Enough credit for any run; the rate limit is high enough never to bite, but the limiter runs.
  await call('/credits/grant', { accountId, amountUsd: 1_000_000 })
  const key = await call('/keys', { accountId, name: 'bench', rpm: 100_000_000, tpm: 1_000_000_000 })
  if (typeof key.key !== 'string') throw new Error(`admin API did not return a key: ${JSON.stringify(key)}`)
  return key.key
}

/** An admin caller over HTTP/1.1 (undici). */
export function httpAdmin(origin, request) {
  return async (path, body) => {
    const response = await request(`${origin}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await response.body.text()
    if (response.statusCode >= 300) throw new Error(`admin ${path}: ${response.statusCode} ${text.slice(0, 300)}`)
    return JSON.parse(text)
  }
}
