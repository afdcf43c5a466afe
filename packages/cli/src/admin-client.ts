/** A small client of the gateway's `/admin/v1` API for the `mesh keys|credits|usage` commands. */
export interface AdminClientOptions {
  /** Gateway origin, e.g. http://127.0.0.1:4000 (default `MESH_URL` or that). */
  url?: string
  /** The admin credential (default `MESH_ADMIN_KEY`). */
  adminKey?: string
  fetch?: typeof fetch
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export function adminClient(options: AdminClientOptions = {}) {
  const base = (options.url ?? process.env.MESH_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '')
  const key = options.adminKey ?? process.env.MESH_ADMIN_KEY
  const doFetch = options.fetch ?? fetch
  return async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    if (!key) throw new AdminError(0, 'No admin key: pass --admin-key or set MESH_ADMIN_KEY.')
    const response = await doFetch(`${base}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const json = (await response.json().catch(() => ({}))) as { error?: { message?: string } }
    if (!response.ok) throw new AdminError(response.status, `${response.status}: ${json.error?.message ?? response.statusText}`)
    return json
  }
}
