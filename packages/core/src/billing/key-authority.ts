import type { CounterStoreV1 } from '../contracts/counter-store.js'
import type { AccountRecord, LedgerStoreV1, ProjectRecord, VirtualKeyRecord } from '../contracts/ledger-store.js'
import { GatewayError } from '../errors/gateway-error.js'
import { hashKey } from './keys.js'

/** A key with its project and account, as one cache entry. */
export interface Principal {
  readonly key: VirtualKeyRecord
  readonly project?: ProjectRecord
  readonly account?: AccountRecord
}

interface Entry {
  readonly principal: Principal | undefined
  readonly fetchedAt: number
}

export const KEY_EVENTS_CHANNEL = 'mesh:keys'

const invalidKey = (message: string) => new GatewayError({ status: 401, type: 'authentication_error', code: 'invalid_api_key', message })

/**
 * Resolves client keys by their SHA-256 from an in-memory cache, falling back to the ledger store
 * on a miss. Revocation reaches every instance through the counter store's pub/sub when it has
 * one (milliseconds), and otherwise within `ttlMs` at most (the cache's lifetime).
 */
export class KeyAuthority {
  private readonly cache = new Map<string, Entry>()
  private unsubscribe: (() => Promise<void>) | undefined

  constructor(
    private readonly ledger: LedgerStoreV1,
    private readonly counters: CounterStoreV1 | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Listen for revocations and rotations from other instances. */
  async start(): Promise<void> {
    if (!this.counters?.subscribe) return
    this.unsubscribe = await this.counters.subscribe(KEY_EVENTS_CHANNEL, (hash) => this.cache.delete(hash))
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.()
  }

  /** Tell every instance (this one included) to forget a key's cached record. */
  async changed(hash: string): Promise<void> {
    this.cache.delete(hash)
    await this.counters?.publish?.(KEY_EVENTS_CHANNEL, hash)
  }

  private async load(hash: string): Promise<Principal | undefined> {
    const key = await this.ledger.findKeyByHash(hash)
    if (!key) return undefined
    const [project, account] = await Promise.all([key.projectId ? this.ledger.getProject(key.projectId) : undefined, this.ledger.getAccount(key.accountId)])
    return { key, ...(project ? { project } : {}), ...(account ? { account } : {}) }
  }

  /** The principal of a presented key, or a 401 saying why not. Never echoes the key. */
  async authenticate(plaintext: string | undefined): Promise<Principal> {
    if (!plaintext) throw invalidKey('Missing API key: send `Authorization: Bearer <key>` (or `x-api-key`).')
    const hash = hashKey(plaintext)
    const now = this.now()
    let entry = this.cache.get(hash)
    if (!entry || now - entry.fetchedAt >= this.ttlMs) {
      entry = { principal: await this.load(hash), fetchedAt: now }
      this.cache.set(hash, entry)
    }
    const principal = entry.principal
    if (!principal) throw invalidKey('Incorrect API key provided.')
    const { key } = principal
    if (key.revokedAt !== undefined && key.revokedAt <= now) throw invalidKey(`This API key (${key.prefix}…) has been revoked.`)
    if (key.expiresAt !== undefined && key.expiresAt <= now) throw invalidKey(`This API key (${key.prefix}…) expired at ${new Date(key.expiresAt).toISOString()}.`)
    return principal
  }
}
