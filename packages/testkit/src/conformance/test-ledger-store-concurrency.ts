import { StoreError, type LedgerStoreV1, type UsageEvent } from '@modelmesh/core'
import { expect } from 'vitest'
import { newAccount, type LedgerStoreCheck } from './test-ledger-store-records.js'
import { rejectionOf } from './test-shared-store-helpers.js'

const AMOUNT = 10_000
const COVERED = 50
const CONCURRENT = 200

/**
 * 200 concurrent reservations of AMOUNT against a balance of 50 × AMOUNT, spread over the given
 * instances: exactly 50 succeed. Then every success is settled at a cost at most its estimate
 * and the ledger must sum to start − costs, never below zero.
 */
async function reserveRace(instances: LedgerStoreV1[], unique: (label: string) => string): Promise<void> {
  const [store] = instances as [LedgerStoreV1]
  const start = COVERED * AMOUNT
  const accountId = await newAccount(store, unique, start)
  const ids = Array.from({ length: CONCURRENT }, (_, i) => unique(`race${i}`))
  const results = await Promise.all(ids.map((id, i) => instances[i % instances.length]!.reserve(accountId, id, AMOUNT)))
  const won = ids.filter((_, i) => results[i]!.ok)
  expect(won, 'exactly the number of reservations the balance covers succeed').toHaveLength(COVERED)
  for (const result of results) if (!result.ok) expect(result.reason).toBe('insufficient-credits')
  expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: start, reservedMicroUsd: start, availableMicroUsd: 0 })

  const costs = won.map((_, i) => AMOUNT - i * 37)
  await Promise.all(won.map((id, i) => instances[i % instances.length]!.settle(accountId, id, costs[i]!)))
  const spent = costs.reduce((a, b) => a + b, 0)
  const after = await store.balance(accountId)
  expect(after).toEqual({ balanceMicroUsd: start - spent, reservedMicroUsd: 0, availableMicroUsd: start - spent })
  expect(after.balanceMicroUsd).toBeGreaterThanOrEqual(0)
  const entries = await store.entries(accountId)
  expect(entries.filter((e) => e.kind === 'usage')).toHaveLength(COVERED)
  expect(entries.reduce((sum, e) => sum + e.amountMicroUsd, 0), 'the ledger sums to the balance').toBe(after.balanceMicroUsd)
}

export function usageEvent(requestId: string, accountId: string, keyId: string, startedAt: number): UsageEvent {
  return {
    specificationVersion: 'mesh.usage.v1',
    requestId,
    accountId,
    keyId,
    projectId: `${accountId}-p`,
    ingress: 'openai.chat',
    requestedModel: 'smart',
    servedBy: { provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai/gpt-4o-mini#0' },
    stream: true,
    attempts: [
      { deployment: 'anthropic/claude#0', provider: 'anthropic', model: 'claude', outcome: 'error', status: 529, reason: 'overloaded', durationMs: 40 },
      { deployment: 'openai/gpt-4o-mini#0', provider: 'openai', model: 'gpt-4o-mini', outcome: 'success', status: 200, durationMs: 812.5 },
    ],
    usage: { inputTokens: 1_200, outputTokens: 80, cachedInputTokens: 1_024, raw: { prompt_tokens: 1_200 } },
    cost: { upstreamMicroUsd: 91, marginMicroUsd: 9, billedMicroUsd: 100, pricingVersion: '2025-01' },
    timings: { startedAt, overheadMs: 1.25, firstTokenMs: 230, totalMs: 860 },
    status: 200,
    billingReason: 'completed',
  }
}

/**
 * The store's pruneUsage (bound: a store run with the pruneUsage checks must have it), after it
 * deleted every usage event that started before `base` (so that a check above every other check's
 * start times sees only its own events), and a new funded account.
 */
async function pruneScope(store: LedgerStoreV1, unique: (label: string) => string, base: number): Promise<{ prune: (before: number) => Promise<number>; accountId: string }> {
  const prune = store.pruneUsage?.bind(store)
  if (!prune) throw new Error("this store has no pruneUsage(); declare skip: { pruneUsage: '<why>' } instead")
  await prune(base)
  return { prune, accountId: await newAccount(store, unique, 1_000_000) }
}

export const ledgerConcurrencyChecks: readonly LedgerStoreCheck[] = [
  {
    name: `${CONCURRENT} concurrent reservations against a balance covering ${COVERED}: exactly ${COVERED} succeed and the settled ledger sums`,
    timeoutMs: 60_000,
    async run({ store, unique }) {
      await reserveRace([store], unique)
    },
  },
  {
    name: `${CONCURRENT} concurrent reservations split over two instances: exactly ${COVERED} succeed`,
    features: ['peer'],
    timeoutMs: 60_000,
    async run({ store, peer, unique }) {
      await reserveRace([store, peer], unique)
    },
  },
  {
    name: '20 concurrent settlements of one request debit once',
    timeoutMs: 30_000,
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique, 5_000)
      const requestId = unique('req')
      await store.reserve(accountId, requestId, 1_000)
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.settle(accountId, requestId, 600 + i)))
      expect(results.filter((r) => r.created)).toHaveLength(1)
      expect(new Set(results.map((r) => r.entry.id)).size).toBe(1)
      const debit = results[0]!.entry.amountMicroUsd
      expect(await store.balance(accountId)).toEqual({ balanceMicroUsd: 5_000 + debit, reservedMicroUsd: 0, availableMicroUsd: 5_000 + debit })
    },
  },
  {
    name: 'a second instance sees keys, entries and reservations of the first',
    features: ['peer'],
    async run({ store, peer, unique }) {
      const accountId = await newAccount(store, unique, 1_000)
      const requestId = unique('req')
      expect(await store.reserve(accountId, requestId, 800)).toMatchObject({ ok: true })
      expect(await peer.reserve(accountId, unique('req'), 201)).toMatchObject({ ok: false, availableMicroUsd: 200 })
      expect((await peer.settle(accountId, requestId, 500)).created).toBe(true)
      expect((await store.settle(accountId, requestId, 500)).created).toBe(false)
      expect((await store.balance(accountId)).balanceMicroUsd).toBe(500)
      expect(await peer.getAccount(accountId)).toEqual(await store.getAccount(accountId))
    },
  },
  {
    name: 'stores usage events (metadata only) idempotently by request id and queries them newest first',
    async run({ store, unique }) {
      const accountId = unique('acct')
      const [k1, k2] = [unique('k1'), unique('k2')]
      const events = [usageEvent(unique('r'), accountId, k1, 1_000), usageEvent(unique('r'), accountId, k2, 3_000), usageEvent(unique('r'), accountId, k1, 2_000)]
      expect(await store.recordUsage(events)).toBe(3)
      expect(await store.recordUsage([events[0]!, { ...events[1]!, status: 500 }]), 'replayed events are ignored').toBe(0)
      expect(await store.recordUsage([])).toBe(0)
      expect(await store.usage({ accountId })).toEqual([events[1], events[2], events[0]])
      expect(await store.usage({ keyId: k1 })).toEqual([events[2], events[0]])
      expect(await store.usage({ projectId: `${accountId}-p`, since: 2_000 })).toEqual([events[1], events[2]])
      expect(await store.usage({ accountId, until: 2_000 })).toEqual([events[0]])
      expect(await store.usage({ accountId, limit: 1 })).toEqual([events[1]])
    },
  },
  {
    name: 'pruneUsage deletes the usage events that started before the cutoff (in every batch it takes), and no ledger entry',
    features: ['pruneUsage'],
    timeoutMs: 30_000,
    async run({ store, unique }) {
      // Far above every other check's start times.
      const base = 4_000_000_000_000
      const { prune, accountId } = await pruneScope(store, unique, base)
      const billed = unique('billed')
      expect(await store.reserve(accountId, billed, 1_000)).toMatchObject({ ok: true })
      await store.settle(accountId, billed, 700)
      const balance = await store.balance(accountId)
      const entries = await store.entries(accountId)
      const spend = await store.spend({ kind: 'account', id: accountId })
      // 1,201 old events (more than one batch of the stores here), recorded out of start order, and two newer ones.
      const old = Array.from({ length: 1_201 }, (_, i) => usageEvent(i === 0 ? billed : unique('old'), accountId, 'k', base + 1_000 + ((i * 7919) % 1_201)))
      const kept = [usageEvent(unique('new'), accountId, 'k', base + 3_000), usageEvent(unique('edge'), accountId, 'k', base + 2_500)]
      for (let i = 0; i < old.length; i += 300) await store.recordUsage(old.slice(i, i + 300))
      await store.recordUsage([kept[0]!, old[5]!, kept[1]!])

      expect(await prune(base + 2_500), 'every event that started before the cutoff; the one at the cutoff stays').toBe(1_201)
      expect(await store.usage({ accountId, limit: 5_000 })).toEqual([kept[0], kept[1]])
      expect(await prune(base + 2_500), 'a second run finds nothing').toBe(0)
      expect(await store.balance(accountId), 'money is untouched').toEqual(balance)
      expect(await store.entries(accountId)).toEqual(entries)
      expect(await store.spend({ kind: 'account', id: accountId })).toEqual(spend)
      expect((await store.settle(accountId, billed, 700)).created, 'the debit still makes a replay idempotent').toBe(false)

      const error = await rejectionOf(prune(Number.NaN), 'pruneUsage(NaN)')
      expect(StoreError.isInstance(error) && error.code, String(error)).toBe('invalid-input')
      expect(await store.usage({ accountId })).toHaveLength(2)
    },
  },
  {
    name: 'two pruneUsage at once (the retention timer and an on-demand prune) both finish and together delete each old event once',
    features: ['pruneUsage'],
    timeoutMs: 30_000,
    async run({ store, unique }) {
      // Above the check before's start times.
      const base = 4_100_000_000_000
      const { prune, accountId } = await pruneScope(store, unique, base)
      const old = Array.from({ length: 2_401 }, (_, i) => usageEvent(unique('old'), accountId, 'k', base + 1_000 + i))
      const kept = usageEvent(unique('new'), accountId, 'k', base + 5_000)
      for (let i = 0; i < old.length; i += 400) await store.recordUsage(old.slice(i, i + 400))
      await store.recordUsage([kept])

      const [first, second] = await Promise.all([prune(base + 4_000), prune(base + 4_000)])
      expect(first + second, `deleted ${first} + ${second}`).toBe(2_401)
      expect(await store.usage({ accountId, limit: 5_000 })).toEqual([kept])
      expect(await prune(base + 4_000)).toBe(0)
    },
  },
]
