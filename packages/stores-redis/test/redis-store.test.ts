import { randomBytes } from 'node:crypto'
import { StoreError, windowStart } from '@modelmesh/core'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { redis } from '../src/index.js'
import { deletePrefix, url } from './support/redis.js'

const prefix = `mesh-test:${randomBytes(6).toString('hex')}:`
afterAll(() => deletePrefix(prefix))

describe('redis store', () => {
  it('keeps every key under its prefix, and window keys expire by themselves', async () => {
    const store = redis({ url, prefix })
    const now = Date.now()
    await store.increment('rpm:key-1', 3, 60_000, now)
    await store.setState('breaker:openai', 'open', 30_000)
    const admin = new Redis(url)
    const counter = `${prefix}c:60000:${windowStart(now, 60_000)}:rpm:key-1`
    expect(await admin.get(counter)).toBe('3')
    expect(await admin.pttl(counter)).toBeGreaterThan(60_000)
    expect(await admin.pttl(counter)).toBeLessThanOrEqual(120_000)
    expect(await admin.get(`${prefix}s:breaker:openai`)).toBe('open')
    const [, keys] = await admin.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000)
    expect(keys.sort()).toEqual([counter, `${prefix}s:breaker:openai`].sort())
    await admin.quit()
    await store.close()
    await store.close()
  })

  it('stores with different prefixes share nothing', async () => {
    const a = redis({ url, prefix: `${prefix}a:` })
    const b = redis({ url, prefix: `${prefix}b:` })
    await a.increment('k', 5, 60_000)
    expect(await b.get('k', 60_000)).toBe(0)
    const seen: string[] = []
    const stop = await b.subscribe('revocations', (m) => seen.push(m))
    await a.publish('revocations', 'x')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen).toEqual([])
    await stop()
    await Promise.all([a.close(), b.close()])
  })

  it('an unreachable server gives a StoreError naming host and port, never the password', async () => {
    const store = redis({ url: 'redis://:hunter2@127.0.0.1:1', connectTimeoutMs: 1_000 })
    const error = await store.increment('k', 1, 1_000).catch((e: unknown) => e)
    expect(StoreError.isInstance(error), String(error)).toBe(true)
    expect((error as StoreError).code).toBe('unavailable')
    expect(String(error)).toMatch(/127\.0\.0\.1:1/)
    expect(String(error)).not.toMatch(/hunter2/)
    await store.close()
  })
})

describe('sliding-log hit (exact RPM)', () => {
  it('admits exactly `limit` in any window, atomically across two instances', async () => {
    const hitPrefix = `${prefix}hit:`
    const a = redis({ prefix: hitPrefix })
    const b = redis({ prefix: hitPrefix })
    try {
      const now = 1_700_000_000_000
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit!('k', 20, 60_000, now + i)))
      expect(results.filter((r) => r.allowed)).toHaveLength(20)
      expect((await a.hit!('k', 20, 60_000, now + 59_999)).allowed).toBe(false)
      // Once the oldest admitted event has left the window, room opens again.
      const later = await a.hit!('k', 20, 60_000, now + 60_050)
      expect(later.allowed).toBe(true)
      expect(later.oldestAt).toBeGreaterThan(now)
    } finally {
      await a.close?.()
      await b.close?.()
    }
  })
})
