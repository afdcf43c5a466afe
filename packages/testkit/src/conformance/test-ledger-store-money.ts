import { StoreError } from '@modelmesh/core'
import { expect } from 'vitest'
import { rejectionOf } from './test-shared-store-helpers.js'
import { newAccount, type LedgerStoreCheck } from './test-ledger-store-records.js'

// A fixed instant (2030-01-15 12:00 UTC) for checks that reason about UTC days and months.
const NOON = Date.UTC(2030, 0, 15, 12)
const DAY = 86_400_000

export const ledgerMoneyChecks: readonly LedgerStoreCheck[] = [
  {
    name: 'the balance is the sum of immutable, signed entries listed in write order',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 0, reservedMicroUsd: 0, availableMicroUsd: 0 })
      await store.append({ accountId, kind: 'grant', amountMicroUsd: 5_000_000, note: 'welcome' })
      await store.append({ accountId, kind: 'purchase', amountMicroUsd: 2_000_000, requestId: unique('invoice') })
      await store.append({ accountId, kind: 'usage', amountMicroUsd: -1_500_000, requestId: unique('req') })
      const refund = await store.append({ accountId, kind: 'refund', amountMicroUsd: 500_000, createdAt: NOON })
      expect(refund.created).toBe(true)
      expect(refund.entry).toMatchObject({ accountId, kind: 'refund', amountMicroUsd: 500_000, createdAt: NOON })
      expect(typeof refund.entry.id).toBe('string')
      expect((await store.balance(accountId)).balanceMicroUsd).toBe(6_000_000)
      const entries = await store.entries(accountId)
      expect(entries.map((e) => [e.kind, e.amountMicroUsd])).toEqual([['grant', 5_000_000], ['purchase', 2_000_000], ['usage', -1_500_000], ['refund', 500_000]])
      expect(entries[0]?.note).toBe('welcome')
      expect(await store.balance(unique('nobody'))).toEqual({ balanceMicroUsd: 0, reservedMicroUsd: 0, availableMicroUsd: 0 })
    },
  },
  {
    name: 'refuses floats, strings, wrong signs, unknown kinds and unknown accounts, writing nothing',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const bad: [string, () => Promise<unknown>, string][] = [
        ['a float grant', () => store.append({ accountId, kind: 'grant', amountMicroUsd: 0.5 }), 'invalid-input'],
        ['a string amount', () => store.append({ accountId, kind: 'grant', amountMicroUsd: '100' as unknown as number }), 'invalid-input'],
        ['NaN', () => store.append({ accountId, kind: 'grant', amountMicroUsd: Number.NaN }), 'invalid-input'],
        ['an unsafe integer', () => store.append({ accountId, kind: 'grant', amountMicroUsd: 2 ** 60 }), 'invalid-input'],
        ['a negative grant', () => store.append({ accountId, kind: 'grant', amountMicroUsd: -5 }), 'invalid-input'],
        ['a positive usage', () => store.append({ accountId, kind: 'usage', amountMicroUsd: 5 }), 'invalid-input'],
        ['an unknown kind', () => store.append({ accountId, kind: 'bonus' as 'grant', amountMicroUsd: 5 }), 'invalid-input'],
        ['an unknown account', () => store.append({ accountId: unique('nobody'), kind: 'grant', amountMicroUsd: 5 }), 'not-found'],
        ['a float reservation', () => store.reserve(accountId, unique('req'), 1.5), 'invalid-input'],
        ['a negative settlement', () => store.settle(accountId, unique('req'), -1), 'invalid-input'],
        ['a reservation on an unknown account', () => store.reserve(unique('nobody'), unique('req'), 1), 'not-found'],
      ]
      for (const [what, attempt, code] of bad) {
        const error = await rejectionOf(attempt(), what)
        expect(StoreError.isInstance(error), `${what}: ${String(error)}`).toBe(true)
        expect((error as StoreError).code, `${what}: ${String(error)}`).toBe(code)
      }
      expect(await store.entries(accountId)).toHaveLength(1)
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 0, availableMicroUsd: 1_000 })
    },
  },
  {
    name: 'append is idempotent by (kind, requestId), also under 20 concurrent replays',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const requestId = unique('idem')
      const first = await store.append({ accountId, kind: 'grant', amountMicroUsd: 700, requestId })
      const again = await store.append({ accountId, kind: 'grant', amountMicroUsd: 700, requestId })
      expect(again).toEqual({ entry: first.entry, created: false })
      expect((await store.append({ accountId, kind: 'refund', amountMicroUsd: 5, requestId })).created, 'another kind, same request').toBe(true)
      const racers = await Promise.all(Array.from({ length: 20 }, () => store.append({ accountId, kind: 'purchase', amountMicroUsd: 1_000, requestId })))
      expect(racers.filter((r) => r.created)).toHaveLength(1)
      expect(new Set(racers.map((r) => r.entry.id)).size).toBe(1)
      expect((await store.append({ accountId, kind: 'grant', amountMicroUsd: 1 })).created, 'entries without requestId are always written').toBe(true)
      expect((await store.append({ accountId, kind: 'grant', amountMicroUsd: 1 })).created).toBe(true)
      expect((await store.balance(accountId)).balanceMicroUsd).toBe(700 + 5 + 1_000 + 2)
      const other = await newAccount(store, unique)
      const error = await rejectionOf(store.append({ accountId: other, kind: 'grant', amountMicroUsd: 700, requestId }), 'a replay on another account')
      expect((error as StoreError).code).toBe('conflict')
    },
  },
  {
    name: 'entries are immutable: later writes and changes to returned objects do not alter them',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 10_000)
      const before = structuredClone(await store.entries(accountId))
      const returned = await store.entries(accountId)
      try {
        ;(returned[0] as { amountMicroUsd: number }).amountMicroUsd = 1
      } catch {
        // frozen objects throw in strict mode: also fine
      }
      await store.reserve(accountId, unique('req'), 100)
      await store.settle(accountId, unique('req'), 40)
      await store.append({ accountId, kind: 'refund', amountMicroUsd: 40 })
      const after = await store.entries(accountId)
      expect(after.slice(0, before.length)).toEqual(before)
      expect(after).toHaveLength(before.length + 2)
      expect(returned, 'a list entries() returned earlier is a snapshot: later writes do not grow it').toHaveLength(before.length)
      expect(store, 'the contract has no way to change or delete an entry').not.toHaveProperty('updateEntry')
      expect(store).not.toHaveProperty('deleteEntry')
    },
  },
  {
    name: 'reserve holds money only when available (balance − reservations) covers it',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const [a, b, c] = [unique('a'), unique('b'), unique('c')]
      const first = await store.reserve(accountId, a, 600)
      expect(first).toMatchObject({ ok: true, created: true, reservation: { requestId: a, accountId, amountMicroUsd: 600 } })
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 1_000, reservedMicroUsd: 600, availableMicroUsd: 400 })
      expect(await store.reserve(accountId, b, 401)).toEqual({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 400 })
      expect(await store.reserve(accountId, b, 400)).toMatchObject({ ok: true, created: true })
      expect(await store.reserve(accountId, a, 600), 'same request id again: nothing added').toMatchObject({ ok: true, created: false })
      expect(await store.reserve(accountId, c, 1)).toMatchObject({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 0 })
      expect(await store.reserve(accountId, c, 0), 'a zero estimate fits an empty balance').toMatchObject({ ok: true })
      expect((await store.reservations(accountId)).map((r) => r.requestId).sort()).toEqual([a, b, c].sort())
      expect(await store.release(accountId, a)).toBe(true)
      expect(await store.release(accountId, a), 'released twice').toBe(false)
      expect((await store.balance(accountId)).availableMicroUsd).toBe(600)
      expect((await store.entries(accountId)).map((e) => e.kind), 'reservations are not ledger entries').toEqual(['grant'])
    },
  },
  {
    name: 'settle replaces the reservation by one usage debit, idempotently; a settled request cannot reserve again',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const requestId = unique('req')
      await store.reserve(accountId, requestId, 600, { keyId: 'k1', projectId: 'p1' })
      const settled = await store.settle(accountId, requestId, 250, { note: 'gpt-4o-mini' })
      expect(settled.created).toBe(true)
      expect(settled.entry).toMatchObject({ accountId, kind: 'usage', amountMicroUsd: -250, requestId, keyId: 'k1', projectId: 'p1', note: 'gpt-4o-mini' })
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 750, reservedMicroUsd: 0, availableMicroUsd: 750 })
      expect(await store.settle(accountId, requestId, 999)).toEqual({ entry: settled.entry, created: false })
      expect(await store.reserve(accountId, requestId, 10)).toEqual({ ok: false, reason: 'already-settled', entry: settled.entry })
      expect(await store.release(accountId, requestId)).toBe(false)
      const cutOff = unique('cut-off')
      const unreserved = await store.settle(accountId, cutOff, 100, { keyId: 'k2' })
      expect(unreserved.entry, 'settle without a reservation still bills').toMatchObject({ amountMicroUsd: -100, keyId: 'k2' })
      expect((await store.settle(accountId, unique('free'), 0)).entry.amountMicroUsd).toBe(0)
      expect((await store.balance(accountId)).balanceMicroUsd).toBe(650)
      expect((await store.entries(accountId)).filter((e) => e.kind === 'usage')).toHaveLength(3)
    },
  },
  {
    name: "a reserve with the `fresh` hint (a request id made for this request) decides as without it",
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const [a, b, keyId] = [unique('fresh-a'), unique('fresh-b'), unique('fresh-key')]
      expect(await store.reserve(accountId, a, 600, { keyId, fresh: true })).toMatchObject({ ok: true, created: true, reservation: { requestId: a, amountMicroUsd: 600, keyId } })
      expect(await store.reserve(accountId, b, 401, { fresh: true })).toEqual({ ok: false, reason: 'insufficient-credits', availableMicroUsd: 400 })
      expect(await store.reserve(accountId, b, 100, { keyId, fresh: true, caps: [{ scope: 'key', period: 'day', limitMicroUsd: 650 }] })).toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 600 })
      expect(await store.reserve(accountId, a, 600, { keyId, fresh: true }), 'same request id again: nothing added').toMatchObject({ ok: true, created: false })
      expect((await store.settle(accountId, a, 500)).created).toBe(true)
      expect((await store.settle(accountId, a, 500)).created, 'one debit, whatever the hint').toBe(false)
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 500, reservedMicroUsd: 0, availableMicroUsd: 500 })
    },
  },
  {
    name: 'an expired reservation stops holding money; settling it later still bills',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const stale = unique('stale')
      expect(await store.reserve(accountId, stale, 1_000, { ttlMs: 1_000, now: NOON })).toMatchObject({ ok: true })
      expect((await store.balance(accountId, NOON + 500)).availableMicroUsd).toBe(0)
      expect(await store.reserve(accountId, unique('r'), 1, { now: NOON + 500 })).toMatchObject({ ok: false })
      expect((await store.balance(accountId, NOON + 2_000)).reservedMicroUsd).toBe(0)
      expect(await store.reservations(accountId, NOON + 2_000)).toEqual([])
      const fresh = unique('fresh')
      expect(await store.reserve(accountId, fresh, 1_000, { now: NOON + 2_000 })).toMatchObject({ ok: true, created: true })
      await store.settle(accountId, stale, 300, { now: NOON + 3_000 })
      expect((await store.balance(accountId, NOON + 3_000)).balanceMicroUsd).toBe(700)
    },
  },
  {
    name: 'reserve enforces key, project and account caps per UTC day, month and total, counting holds',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 100_000)
      const keyId = unique('key')
      const projectId = unique('proj')
      const caps = [
        { scope: 'key', period: 'day', limitMicroUsd: 1_000 },
        { scope: 'key', period: 'month', limitMicroUsd: 1_500 },
        { scope: 'project', period: 'total', limitMicroUsd: 2_000 },
      ] as const
      const at = (now: number, ttlMs = 60_000) => ({ keyId, projectId, caps, now, ttlMs })
      const first = unique('r')
      await store.reserve(accountId, first, 700, at(NOON))
      await store.settle(accountId, first, 700, { now: NOON })
      expect(await store.reserve(accountId, unique('r'), 301, at(NOON + 1))).toEqual({ ok: false, reason: 'spend-cap', cap: caps[0], scopeId: keyId, spentMicroUsd: 700 })
      expect(await store.reserve(accountId, unique('r'), 300, at(NOON + 2, 2 * DAY))).toMatchObject({ ok: true })
      expect(await store.reserve(accountId, unique('r'), 1, at(NOON + 3)), 'held money counts').toMatchObject({ ok: false, reason: 'spend-cap', spentMicroUsd: 1_000 })
      const nextDay = NOON + DAY
      expect(await store.reserve(accountId, unique('r'), 501, at(nextDay)), 'the month counts yesterday').toMatchObject({ ok: false, cap: caps[1], spentMicroUsd: 1_000 })
      expect(await store.reserve(accountId, unique('r'), 500, at(nextDay))).toMatchObject({ ok: true })
      const projectOnly = { projectId, caps: [caps[2]], now: Date.UTC(2030, 1, 1, 0, 0, 1) }
      expect(await store.reserve(accountId, unique('r'), 1_301, projectOnly), 'a total never resets').toMatchObject({ ok: false, cap: caps[2], scopeId: projectId, spentMicroUsd: 700 })
      expect(await store.reserve(accountId, unique('r'), 1_300, projectOnly)).toMatchObject({ ok: true })
      const other = await newAccount(store, unique, 100_000)
      await store.settle(other, unique('r'), 1_500, { keyId: unique('k'), now: NOON })
      const accountCap = [{ scope: 'account', period: 'day', limitMicroUsd: 2_000 }] as const
      expect(await store.reserve(other, unique('r'), 501, { keyId: unique('k'), caps: accountCap, now: NOON + 1 }), 'account caps count every key').toMatchObject({ ok: false, reason: 'spend-cap', scopeId: other, spentMicroUsd: 1_500 })
      const error = await rejectionOf(store.reserve(accountId, unique('r'), 1, { caps: [{ scope: 'key', period: 'day', limitMicroUsd: 5 }] }), 'a key cap without keyId')
      expect((error as StoreError).code).toBe('invalid-input')
    },
  },
  {
    name: 'checkBalance: false lets a post-paid account go below zero while caps still apply',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const caps = [{ scope: 'account', period: 'total', limitMicroUsd: 500 }] as const
      const requestId = unique('r')
      expect(await store.reserve(accountId, requestId, 400, { checkBalance: false, caps })).toMatchObject({ ok: true })
      expect(await store.reserve(accountId, unique('r'), 200, { checkBalance: false, caps })).toMatchObject({ ok: false, reason: 'spend-cap' })
      await store.settle(accountId, requestId, 400)
      expect((await store.balance(accountId)).balanceMicroUsd).toBe(-400)
    },
  },
  {
    name: 'reports spend per key, project and account per UTC day, month and total, with holds',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 100_000)
      const [k1, k2, p] = [unique('k1'), unique('k2'), unique('p')]
      await store.settle(accountId, unique('r'), 100, { keyId: k1, projectId: p, now: NOON })
      await store.settle(accountId, unique('r'), 20, { keyId: k1, projectId: p, now: NOON - DAY })
      await store.settle(accountId, unique('r'), 3, { keyId: k1, now: Date.UTC(2029, 11, 31, 23, 59) })
      await store.settle(accountId, unique('r'), 4_000, { keyId: k2, now: NOON })
      await store.append({ accountId, kind: 'refund', amountMicroUsd: 50, keyId: k1, createdAt: NOON })
      await store.reserve(accountId, unique('r'), 7, { keyId: k1, projectId: p, now: NOON })
      expect(await store.spend({ kind: 'key', id: k1 }, NOON)).toEqual({ dayMicroUsd: 100, monthMicroUsd: 120, totalMicroUsd: 123, reservedMicroUsd: 7 })
      expect(await store.spend({ kind: 'project', id: p }, NOON)).toEqual({ dayMicroUsd: 100, monthMicroUsd: 120, totalMicroUsd: 120, reservedMicroUsd: 7 })
      expect(await store.spend({ kind: 'account', id: accountId }, NOON)).toEqual({ dayMicroUsd: 4_100, monthMicroUsd: 4_120, totalMicroUsd: 4_123, reservedMicroUsd: 7 })
      expect(await store.spend({ kind: 'key', id: unique('none') }, NOON)).toEqual({ dayMicroUsd: 0, monthMicroUsd: 0, totalMicroUsd: 0, reservedMicroUsd: 0 })
    },
  },
]
