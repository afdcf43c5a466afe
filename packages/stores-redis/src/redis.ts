import { checkCounterArgs, checkStateTtl, StoreError, windowStart, type CounterStoreV1 } from '@modelmesh/core'
import { Redis } from 'ioredis'

const STORE = 'redis counters'

/** KEYS[1] log; ARGV: window start (exclusive), limit, now, unique member, window ms. */
const SLIDING_LOG = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
return { allowed, count, oldest }
`

export interface RedisStoreOptions {
  /** `redis://[:password@]host:6379[/db]`. Default: `REDIS_URL`, else `redis://127.0.0.1:6379`. Prefer the environment for credentials: options end up in the compiled config. */
  url?: string
  /** Prepended to every key and channel, so several gateways (or test runs) can share one Redis; default `mesh:`. */
  prefix?: string
  /** How long the first connection may take before operations fail; default 5000 ms. */
  connectTimeoutMs?: number
}

export type RedisStore = CounterStoreV1 & {
  subscribe: NonNullable<CounterStoreV1['subscribe']>
  publish: NonNullable<CounterStoreV1['publish']>
  /** Connects now. Optional: every operation connects on first use. */
  ready(): Promise<void>
  close(): Promise<void>
}

/** Where we connect, without the password: for error messages. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : ''}`
  } catch {
    return 'the configured url'
  }
}

/**
 * Counters, breaker state and pub/sub shared by every gateway instance using the same Redis and
 * prefix. An increment is `MULTI INCRBY + PEXPIRE EXEC`: atomic, so concurrent instances never
 * lose a count, and every window key expires by itself two windows after it was last touched.
 * Pub/sub uses a second connection (a subscribed Redis connection can do nothing else), which
 * re-subscribes by itself after a reconnect.
 *
 * @example
 * stores: { state: sqlite(), ledger: postgres(), counters: redis({ prefix: 'mesh:prod:' }) }
 */
export function redis(options: RedisStoreOptions = {}): RedisStore {
  const url = options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const prefix = options.prefix ?? 'mesh:'
  const target = describeTarget(url)
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000
  let client: Redis | undefined
  let subscriber: Redis | undefined
  let connecting: Promise<Redis> | undefined
  let subscribing: Promise<Redis> | undefined
  /** Per prefixed channel: its handlers, and the SUBSCRIBE they wait for. */
  const channels = new Map<string, { handlers: Set<(message: string) => void>; subscribed: Promise<unknown> }>()

  const unavailable = (error: unknown) =>
    StoreError.isInstance(error)
      ? error
      : new StoreError({
          code: 'unavailable',
          store: STORE,
          message: `cannot use Redis at ${target}: ${String((error as Error).message ?? error).replace(/\.$/, '')}. Check that it is running and the url (or REDIS_URL) is right.`,
          cause: error,
        })

  /** Opens a connection; a first connection that fails is torn down (no retrying in the background) and retried on the next call. */
  const open = async (): Promise<Redis> => {
    const connection = new Redis(url, { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1 })
    // Reported through the failing operation instead; the socket error says more than "Connection is closed".
    let socketError: unknown
    connection.on('error', (error: unknown) => (socketError = error))
    try {
      await connection.connect()
      return connection
    } catch (error) {
      connection.disconnect()
      throw unavailable(socketError ?? error)
    }
  }
  const command = async (): Promise<Redis> => {
    connecting ??= open().then(
      (connection) => (client = connection),
      (error: unknown) => {
        connecting = undefined
        throw error
      },
    )
    return connecting
  }
  const run = async <T>(fn: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = await command()
    try {
      return await fn(redis)
    } catch (error) {
      throw unavailable(error)
    }
  }
  const windowKey = (key: string, windowMs: number, now: number) => `${prefix}c:${windowMs}:${windowStart(now, windowMs)}:${key}`
  const stateKey = (key: string) => `${prefix}s:${key}`
  const checkName = (what: string, name: unknown) => {
    if (typeof name !== 'string' || name === '') throw new StoreError({ code: 'invalid-input', store: STORE, message: `${what} must be a non-empty string, found ${JSON.stringify(name)}` })
  }

  const subscriberConnection = async (): Promise<Redis> => {
    subscribing ??= open().then(
      (connection) => {
        connection.on('message', (channel: string, message: string) => {
          for (const handler of channels.get(channel)?.handlers ?? []) handler(message)
        })
        return (subscriber = connection)
      },
      (error: unknown) => {
        subscribing = undefined
        throw error
      },
    )
    return subscribing
  }

  return {
    specificationVersion: 'mesh.store.v1',
    roles: { counters: 'mesh.counters.v1' },
    descriptor: { package: '@modelmesh/stores-redis', factory: 'redis', options },
    async ready() {
      await command()
    },
    async increment(key, amount, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs, amount)
      const redisKey = windowKey(key, windowMs, now)
      const results = await run((redis) => redis.multi().incrby(redisKey, amount).pexpire(redisKey, 2 * windowMs).exec())
      const [error, total] = results?.[0] ?? [new Error('MULTI was discarded'), undefined]
      if (error) throw unavailable(error)
      return Number(total)
    },
    async hit(key, limit, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs)
      // One Lua script, so the trim, the count and the add are atomic across every instance.
      const member = `${now}:${Math.random().toString(36).slice(2, 10)}`
      const [allowed, count, oldest] = (await run((redis) => redis.eval(SLIDING_LOG, 1, `${prefix}l:${key}`, now - windowMs, limit, now, member, windowMs))) as [number, number, string | null]
      return { allowed: allowed === 1, count, ...(oldest !== null && oldest !== undefined ? { oldestAt: Number(oldest) } : {}) }
    },
    async get(key, windowMs, now = Date.now()) {
      checkCounterArgs(STORE, key, windowMs)
      const value = await run((redis) => redis.get(windowKey(key, windowMs, now)))
      return value === null ? 0 : Number(value)
    },
    async setState(key, value, ttlMs) {
      checkName('key', key)
      checkStateTtl(STORE, ttlMs)
      if (typeof value !== 'string') throw new StoreError({ code: 'invalid-input', store: STORE, message: `state value of "${key}" must be a string (JSON text), found ${typeof value}` })
      await run((redis) => redis.set(stateKey(key), value, 'PX', ttlMs))
    },
    async getState(key) {
      checkName('key', key)
      return (await run((redis) => redis.get(stateKey(key)))) ?? undefined
    },
    async deleteState(key) {
      checkName('key', key)
      return (await run((redis) => redis.del(stateKey(key)))) > 0
    },
    async subscribe(channel, onMessage) {
      checkName('channel', channel)
      const redisChannel = prefix + channel
      const connection = await subscriberConnection()
      let entry = channels.get(redisChannel)
      if (!entry) {
        entry = { handlers: new Set(), subscribed: connection.subscribe(redisChannel) }
        channels.set(redisChannel, entry)
      }
      // Wrap, so subscribing the same function twice gives two independent subscriptions.
      const handler = (message: string) => onMessage(message)
      entry.handlers.add(handler)
      const subscription = entry
      const unsubscribe = async () => {
        if (!subscription.handlers.delete(handler) || subscription.handlers.size > 0 || channels.get(redisChannel) !== subscription) return
        channels.delete(redisChannel)
        await connection.unsubscribe(redisChannel).catch(() => {})
      }
      try {
        // Resolves once Redis confirmed the subscription: a publish after this is delivered.
        await subscription.subscribed
      } catch (error) {
        await unsubscribe()
        throw unavailable(error)
      }
      return unsubscribe
    },
    async publish(channel, message) {
      checkName('channel', channel)
      await run((redis) => redis.publish(prefix + channel, message))
    },
    async close() {
      const open = [client, subscriber]
      client = subscriber = undefined
      connecting = subscribing = undefined
      channels.clear()
      await Promise.all(open.map((connection) => connection?.quit().catch(() => connection.disconnect())))
    },
  }
}
