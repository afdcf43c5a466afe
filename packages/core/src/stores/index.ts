export { StoreError, type StoreErrorCode } from './store-error.js'
export { isStateStore, isLedgerStore, isCounterStore, STORE_ROLE_VERSIONS, type StoreRole } from './roles.js'
export { windowStart, slidingWindowTotal } from './windows.js'
export {
  DEFAULT_RESERVATION_TTL_MS,
  assertMicroUsd,
  bucketOf,
  checkAccountRecord,
  checkKeyRecord,
  checkProjectRecord,
  checkSettleAmount,
  compact,
  newLedgerEntry,
  newReservation,
  periodBuckets,
  pruneUsageInBatches,
  reserveInput,
  reserveRefusal,
  sameAccount,
  spendCapsOf,
  spendScopesOf,
  type ReserveInput,
} from './ledger-rules.js'
export { memoryStateStore, checkLockTtl, checkStateName, checkStateValue } from './memory-state.js'
export { memoryLedgerStore, inScope } from './memory-ledger.js'
export { Holds, JoinedKeys, scopeKey } from './holds.js'
export { ChurnMap, ChurnSet } from './churn-map.js'
export { memoryCounterStore, checkCounterArgs, checkStateTtl } from './memory-counters.js'
