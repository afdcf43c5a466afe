import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryLedgerStore, type LedgerStoreV1, type StateStoreV1 } from '@modelmesh/core'
import { sqlite } from '@modelmesh/stores-sqlite'
import { postgres } from '@modelmesh/stores-postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { billingSetup, REQUEST_COST, type BillingSetup } from './billing-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'mesh-ledger-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

type Stores = { ledger: LedgerStoreV1; state?: StateStoreV1 }
const stores: Array<[string, () => Stores]> = [
  ['memory', () => ({ ledger: memoryLedgerStore() })],
  ['sqlite', () => {
    const db = sqlite({ path: join(dir, `ledger-${Date.now()}.db`) })
    return { ledger: db, state: db }
  }],
  // Real PostgreSQL on 127.0.0.1:5432 (database `test`), a fresh schema per run. Fails without it.
  ['postgres', () => {
    const db = postgres({ connectionString: process.env.MESH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema: `mesh_e2e_${process.pid}_${Date.now()}` })
    return { ledger: db, state: db }
  }],
]

describe.each(stores)('200 concurrent requests against a balance covering 50 (%s ledger)', (_name, create) => {
  it('serves at most 50, refuses the rest with 402, and the ledger sums to the starting balance', async () => {
    const setup = await billingSetup({ stores: create() })
    try {
      const bodyChars = JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1000 }).length
      const hold = Math.ceil(bodyChars / 3) * 1 + 1000 * 2
      const start = hold * 50
      const { key, accountId } = await setup.account(start / 1e6)
      const responses = await Promise.all(Array.from({ length: 200 }, () => setup.chat(key)))
      const ok = responses.filter((r) => r.status === 200).length
      expect(ok).toBeLessThanOrEqual(50)
      expect(ok).toBeGreaterThanOrEqual(45)
      expect(responses.filter((r) => r.status === 402).length).toBe(200 - ok)
      // Settlement is synchronous: by now every 200 is a stored debit.
      const ledger = setup.mesh.billing.ledger
      const entries = await ledger.entries(accountId)
      const balance = await ledger.balance(accountId)
      expect(balance.reservedMicroUsd).toBe(0)
      expect(entries.filter((e) => e.kind === 'usage')).toHaveLength(ok)
      expect(entries.reduce((sum, e) => sum + e.amountMicroUsd, 0)).toBe(balance.balanceMicroUsd)
      expect(balance.balanceMicroUsd).toBe(start - ok * REQUEST_COST)
      expect(balance.balanceMicroUsd).toBeGreaterThanOrEqual(0)
    } finally {
      await setup.close()
    }
  }, 60_000)
})

/** Two billed requests, a cutoff time, one more: the cutoff falls between the second and the third. */
async function twoThenOne(setup: BillingSetup) {
  const { key, accountId } = await setup.account(1)
  for (let i = 0; i < 2; i++) expect((await setup.chat(key)).status).toBe(200)
  await new Promise((resolve) => setTimeout(resolve, 5))
  const cutoff = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 5))
  const kept = await setup.chat(key)
  expect(kept.status).toBe(200)
  const usage = async () => ((await (await setup.admin(`/usage?accountId=${accountId}`)).json()) as { data: Array<{ requestId: string }> }).data
  return { accountId, cutoff, kept, usage }
}

describe.each(stores)('billing.usageRetention and /admin/v1/usage/prune (%s ledger)', (_name, create) => {
  it('deletes the usage events of requests that started before the cutoff, and keeps their debits', async () => {
    // The retention's cutoff is the gateway clock minus usageRetention: the clock is set an hour
    // ahead after the requests, so that the cutoff falls between the first two requests and the third.
    let frozen: number | undefined
    const setup = await billingSetup({ stores: create(), billing: { usageRetention: '1h' } }, { background: false, clock: { now: () => frozen ?? Date.now() } })
    try {
      const { accountId, cutoff, kept, usage } = await twoThenOne(setup)
      expect(await usage()).toHaveLength(3)
      const ledger = setup.mesh.billing.ledger
      const [entries, balance] = [await ledger.entries(accountId), await ledger.balance(accountId)]

      frozen = cutoff + 3_600_000
      expect(await setup.mesh.billing.retention!.prune()).toBe(2)
      expect((await usage()).map((event) => event.requestId)).toEqual([kept.headers.get('x-mesh-request-id')])
      expect(await ledger.entries(accountId), 'the three debits stay').toEqual(entries)
      expect(entries.filter((e) => e.kind === 'usage')).toHaveLength(3)
      expect(await ledger.balance(accountId)).toEqual(balance)
    } finally {
      await setup.close()
    }
  }, 60_000)

  it('deletes usage events on demand (POST /admin/v1/usage/prune), and keeps their debits', async () => {
    const setup = await billingSetup({ stores: create() })
    try {
      const { accountId, cutoff, kept, usage } = await twoThenOne(setup)
      expect(await usage()).toHaveLength(3)
      const entries = await setup.mesh.billing.ledger.entries(accountId)

      const refused = await setup.admin('/usage/prune', { before: cutoff, olderThan: '1h' })
      expect(refused.status).toBe(400)
      expect(await usage(), 'a refused prune deletes nothing').toHaveLength(3)
      const pruned = await setup.admin('/usage/prune', { before: cutoff })
      expect([pruned.status, await pruned.json()]).toEqual([200, { deleted: 2, before: cutoff }])
      expect((await usage()).map((event) => event.requestId)).toEqual([kept.headers.get('x-mesh-request-id')])
      expect(await setup.mesh.billing.ledger.entries(accountId), 'the debits stay').toEqual(entries)
      expect(await (await setup.admin('/usage/prune', { olderThan: '1h' })).json()).toMatchObject({ deleted: 0 })
    } finally {
      await setup.close()
    }
  }, 60_000)
})
