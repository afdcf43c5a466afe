import { Redis } from 'ioredis'

/** The test Redis: MESH_TEST_REDIS_URL, else the local default. No skip: when Redis is unreachable these tests fail. */
export const url = process.env.MESH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Deletes every key under `prefix` (SCAN, never KEYS, so a shared Redis is not blocked). */
export async function deletePrefix(prefix: string): Promise<void> {
  const admin = new Redis(url, { lazyConnect: true })
  await admin.connect()
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    if (keys.length) await admin.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await admin.quit()
}
