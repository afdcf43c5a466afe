import { describe, expect, it } from 'vitest'
import { ConfigError, createMesh, defineConfig, memoryLedgerStore, type LedgerStoreV1, type MeshConfig, type UsageEvent } from '../src/index.js'
import { fakeProvider } from './helpers/fake-provider.js'

const DAY = 86_400_000
const event = (requestId: string, startedAt: number) => ({ specificationVersion: 'mesh.usage.v1', requestId, timings: { startedAt } }) as unknown as UsageEvent
const config = (billing: MeshConfig['billing'], ledger?: LedgerStoreV1) =>
  defineConfig({ providers: { p: fakeProvider('p') }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } }, billing, ...(ledger ? { stores: { ledger } } : {}) })

function configIssues(run: () => unknown) {
  try {
    run()
  } catch (error) {
    expect(ConfigError.isInstance(error), String(error)).toBe(true)
    return (error as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('billing.usageRetention', () => {
  it('deletes the usage events that started longer ago than the retention, by the gateway clock', async () => {
    let now = 100 * DAY
    const mesh = createMesh(config({ usageRetention: '30d' }), { background: false, clock: { now: () => now } })
    expect(mesh.ir.billing).toMatchObject({ usageRetentionMs: 30 * DAY, usageRetentionIntervalMs: 60_000 })
    const ledger = mesh.billing.ledger
    await ledger.recordUsage([event('a', 60 * DAY), event('b', 70 * DAY + 1), event('c', 69 * DAY), event('d', 99 * DAY)])
    expect(await mesh.billing.retention!.prune()).toBe(2)
    expect((await ledger.usage({})).map((e) => e.requestId)).toEqual(['d', 'b'])
    now += 40 * DAY
    expect(await mesh.billing.retention!.prune()).toBe(2)
    expect(await ledger.usage({})).toEqual([])
    expect(mesh.billing.retention!.deleted).toBe(4)
    await mesh.close()
  })

  it('keeps every usage event when it is not set', async () => {
    const mesh = createMesh(config({}), { background: false })
    expect(mesh.billing.retention).toBeUndefined()
    expect(mesh.ir.billing.usageRetentionMs).toBeUndefined()
    await mesh.close()
  })

  it('runs on a timer (first run within the interval, then every interval) and stops with the gateway', async () => {
    const calls: number[] = []
    const ledger = Object.assign(memoryLedgerStore(), {
      async pruneUsage(before: number) {
        calls.push(before)
        return 0
      },
    })
    let now = 1_000_000
    const mesh = createMesh(config({ usageRetention: '1s', usageRetentionInterval: '20ms' }, ledger), { clock: { now: () => now } })
    const deadline = Date.now() + 5_000
    while (calls.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(calls.length).toBeGreaterThanOrEqual(3)
    expect(calls[0]).toBe(now - 1_000)
    await mesh.close()
    const after = calls.length
    now += 1
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(calls.length, 'no run after close').toBe(after)
  })

  it('reports a failed run to onError and tries again at the next interval', async () => {
    let failures = 0
    const errors: unknown[] = []
    const ledger = Object.assign(memoryLedgerStore(), {
      async pruneUsage() {
        if (failures++ < 2) throw new Error('database is locked')
        return 5
      },
    })
    const mesh = createMesh(config({ usageRetention: '1h', usageRetentionInterval: '15ms' }, ledger), { onError: (error) => errors.push(error) })
    const deadline = Date.now() + 5_000
    while (mesh.billing.retention!.deleted === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(errors.map(String)).toEqual(['Error: database is locked', 'Error: database is locked'])
    expect(mesh.billing.retention!.deleted).toBeGreaterThanOrEqual(5)
    await mesh.close()
  })

  it('refuses the setting with a ledger store that cannot delete usage events, and durations of 0', () => {
    const { pruneUsage: _, ...withoutPrune } = memoryLedgerStore()
    const ledger = { ...withoutPrune, descriptor: { package: 'community-ledger', factory: 'ledger', options: {} } } as LedgerStoreV1
    expect(configIssues(() => createMesh(config({ usageRetention: '7d' }, ledger), { background: false }))).toEqual([
      { path: 'billing.usageRetention', expected: 'a ledger store that can delete usage events (pruneUsage)', found: 'community-ledger (no pruneUsage)' },
    ])
    expect(configIssues(() => createMesh(config({ usageRetention: 0, usageRetentionInterval: '0s' }), { background: false })).map((issue) => issue.path)).toEqual([
      'billing.usageRetention',
      'billing.usageRetentionInterval',
    ])
    expect(configIssues(() => createMesh(config({ usageRetention: '30 days' } as never), { background: false }))[0]!.path).toMatch(/billing\.usageRetention/)
  })
})

describe('POST /admin/v1/usage/prune', () => {
  const ADMIN = 'admin-key-for-prune-tests'
  const setup = (ledger: LedgerStoreV1, now: () => number) => {
    const mesh = createMesh(defineConfig({ providers: { p: fakeProvider('p') }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } }, admin: { key: ADMIN }, stores: { ledger } }), { background: false, clock: { now } })
    const prune = async (body: unknown) => {
      const response = await mesh.fetch(new Request('http://gateway.test/admin/v1/usage/prune', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }))
      return { status: response.status, json: (await response.json()) as Record<string, any> }
    }
    return { mesh, prune }
  }

  it('deletes the events that started before `before`, or longer ago than `olderThan` by the gateway clock', async () => {
    const ledger = memoryLedgerStore()
    const { mesh, prune } = setup(ledger, () => 100 * DAY)
    await ledger.recordUsage([event('a', 60 * DAY), event('b', 70 * DAY), event('c', 80 * DAY), event('d', 99 * DAY)])
    expect(await prune({ before: 70 * DAY })).toEqual({ status: 200, json: { deleted: 1, before: 70 * DAY } })
    expect(await prune({ olderThan: '15d' })).toEqual({ status: 200, json: { deleted: 2, before: 85 * DAY } })
    expect((await ledger.usage({})).map((e) => e.requestId)).toEqual(['d'])
    expect(await prune({ olderThan: 0 })).toEqual({ status: 200, json: { deleted: 1, before: 100 * DAY } })
    await mesh.close()
  })

  it('refuses a missing, doubled or bad cutoff with 400 and deletes nothing', async () => {
    const ledger = memoryLedgerStore()
    const { mesh, prune } = setup(ledger, () => 100 * DAY)
    await ledger.recordUsage([event('a', 60 * DAY)])
    const cases: Array<[unknown, string]> = [
      [{}, 'before'],
      [{ before: 1, olderThan: '1d' }, 'olderThan'],
      [{ before: -1 }, 'before'],
      [{ before: '2026-01-01' }, 'before'],
      [{ before: 1.5 }, 'before'],
      [{ olderThan: '30 days' }, 'olderThan'],
      [{ olderThan: -5 }, 'olderThan'],
      [{ olderThan: { d: 1 } }, 'olderThan'],
      [[1], 'none'],
    ]
    for (const [body, param] of cases) {
      const { status, json } = await prune(body)
      expect([status, json.error.type], JSON.stringify(body)).toEqual([400, 'invalid_request_error'])
      if (param !== 'none') expect(json.error.param, JSON.stringify(body)).toBe(param)
    }
    expect(await ledger.usage({})).toHaveLength(1)
    await mesh.close()
  })

  it('answers 501 when the ledger store has no pruneUsage', async () => {
    const { pruneUsage: _, ...withoutPrune } = memoryLedgerStore()
    const { mesh, prune } = setup({ ...withoutPrune, descriptor: { package: 'community-ledger', factory: 'ledger', options: {} } } as LedgerStoreV1, () => 100 * DAY)
    const { status, json } = await prune({ olderThan: '30d' })
    expect([status, json.error.code]).toEqual([501, 'not_supported'])
    await mesh.close()
  })
})
