import type { LedgerStoreV1 } from '@modelmesh/core'
import { ledgerConcurrencyChecks } from './test-ledger-store-concurrency.js'
import { ledgerMoneyChecks } from './test-ledger-store-money.js'
import { ledgerRecordChecks, type LedgerStoreCheck, type LedgerStoreFeature } from './test-ledger-store-records.js'
import { registerStoreSuite, type StoreSuiteOptions } from './test-shared-store-helpers.js'

export type TestLedgerStoreOptions = StoreSuiteOptions<LedgerStoreV1, LedgerStoreFeature>

/** Every check of the ledger suite, in the order `testLedgerStore` runs them. */
export const ledgerStoreChecks: readonly LedgerStoreCheck[] = [...ledgerRecordChecks, ...ledgerMoneyChecks, ...ledgerConcurrencyChecks]

/**
 * Registers the ledger store conformance suite with vitest. One line for a connector author:
 *
 * @example
 * testLedgerStore({ name: 'postgres', create: () => postgres({ schema }), peer: () => postgres({ schema }) })
 *
 * Covers the contract literals and descriptor; accounts, projects and keys (hash-only storage,
 * revocation, rotation with a grace period); integer-only signed entries and the balance they
 * sum to; immutability; idempotency by (kind, requestId), also under concurrent replays;
 * reserve / settle / release with expiry; spend caps per key, project and account per UTC day,
 * month and total; spend totals; 200 concurrent reservations against a balance covering 50
 * (also split over two instances with `peer`); usage events.
 */
export function testLedgerStore(options: TestLedgerStoreOptions): void {
  registerStoreSuite('ledger store conformance', options, ledgerStoreChecks)
}
