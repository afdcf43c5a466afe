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
  readonly principal: Principal
  readonly fetchedAt: number
}

/**
 * Unknown keys remembered at most (for `keyCacheTtl` each, the oldest forgotten first). Known keys
 * are bounded by the keys in the store; unknown ones only by what clients send — without a bound
 * a client sending random keys grew the cache by an entry per request, for ever.
 */
export const UNKNOWN_KEYS_REMEMBERED = 10_000

export const KEY_EVENTS_CHANNEL = 'mesh:keys'

const invalidKey = (message: string) => new GatewayError({ status: 401, type: 'authentication_error', code: 'invalid_api_key', message })

/**
 * Resolves client keys by their SHA-256 from an in-memory cache, falling back to the ledger store
 * on a miss. Revocation reaches every instance through the counter store's pub/sub when it has
 * one (milliseconds), and otherwise within `ttlMs` at most (the cache's lifetime).
 */
export class KeyAuthority {
  private readonly cache = new Map<string, Entry>()
  /** Hashes the store did not know, with when it was asked (insertion order = oldest first). */
  private readonly unknown = new Map<string, number>()
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
    this.unsubscribe = await this.counters.subscribe(KEY_EVENTS_CHANNEL, (hash) => {
      this.cache.delete(hash)
      this.unknown.delete(hash)
    })
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.()
  }

  /** Tell every instance (this one included) to forget a key's cached record. */
  async changed(hash: string): Promise<void> {
    this.cache.delete(hash)
    this.unknown.delete(hash)
    await this.counters?.publish?.(KEY_EVENTS_CHANNEL, hash)
  }

  private async load(hash: string): Promise<Principal | undefined> {
    const key = await this.ledger.findKeyByHash(hash)
    if (!key) return undefined
    const [project, account] = await Promise.all([key.projectId ? this.ledger.getProject(key.projectId) : undefined, this.ledger.getAccount(key.accountId)])
    return { key, ...(project ? { project } : {}), ...(account ? { account } : {}) }
  }

  /** Keys cached now: known (with their principal) and unknown (refused without a store lookup until `keyCacheTtl` passes). */
  get cached(): { readonly known: number; readonly unknown: number } {
    return { known: this.cache.size, unknown: this.unknown.size }
  }

  private rememberUnknown(hash: string, now: number): void {
    this.unknown.delete(hash) // re-inserted last: the newest
    if (this.unknown.size >= UNKNOWN_KEYS_REMEMBERED) this.unknown.delete(this.unknown.keys().next().value!)
    this.unknown.set(hash, now)
  }

  /** The principal of a presented key, or a 401 saying why not. Never echoes the key. */
  async authenticate(plaintext: string | undefined): Promise<Principal> {
    if (!plaintext) throw invalidKey('Missing API key: send `Authorization: Bearer <key>` (or `x-api-key`).')
    const hash = hashKey(plaintext)
    const now = this.now()
    let entry = this.cache.get(hash)
    if (!entry || now - entry.fetchedAt >= this.ttlMs) {
      const askedAt = entry ? undefined : this.unknown.get(hash)
      if (askedAt !== undefined && now - askedAt < this.ttlMs) throw invalidKey('Incorrect API key provided.')
      const principal = await this.load(hash)
      if (!principal) {
        this.cache.delete(hash)
        this.rememberUnknown(hash, now)
        throw invalidKey('Incorrect API key provided.')
      }
      this.unknown.delete(hash)
      entry = { principal, fetchedAt: now }
      this.cache.set(hash, entry)
    }
    const principal = entry.principal
    const { key } = principal
    if (key.revokedAt !== undefined && key.revokedAt <= now) throw invalidKey(`This API key (${key.prefix}…) has been revoked.`)
    if (key.expiresAt !== undefined && key.expiresAt <= now) throw invalidKey(`This API key (${key.prefix}…) expired at ${new Date(key.expiresAt).toISOString()}.`)
    return principal
  }
}
