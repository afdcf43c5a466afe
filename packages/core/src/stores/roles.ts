import type { CounterStoreV1 } from '../contracts/counter-store.js'
import type { LedgerStoreV1 } from '../contracts/ledger-store.js'
import type { StateStoreV1 } from '../contracts/state-store.js'

export type StoreRole = 'state' | 'ledger' | 'counters'

/** The contract version of each role, as store connectors declare it in `roles`. */
export const STORE_ROLE_VERSIONS = {
  state: 'mesh.state.v1',
  ledger: 'mesh.ledger.v1',
  counters: 'mesh.counters.v1',
} as const satisfies Record<StoreRole, string>

function hasRole(value: unknown, role: StoreRole): boolean {
  if (typeof value !== 'object' || value === null) return false
  const store = value as { specificationVersion?: unknown; roles?: Record<string, unknown> }
  return store.specificationVersion === 'mesh.store.v1' && store.roles?.[role] === STORE_ROLE_VERSIONS[role]
}

/** Whether `value` is a store connector playing the state role (`roles.state === 'mesh.state.v1'`). */
export const isStateStore = (value: unknown): value is StateStoreV1 => hasRole(value, 'state')
export const isLedgerStore = (value: unknown): value is LedgerStoreV1 => hasRole(value, 'ledger')
export const isCounterStore = (value: unknown): value is CounterStoreV1 => hasRole(value, 'counters')

type SharedMembers = 'specificationVersion' | 'roles' | 'descriptor' | 'close'
type Overlap<A, B> = Exclude<keyof A & keyof B, SharedMembers>
/**
 * Compile-time guard: one object can play several roles only while the roles' method names are
 * disjoint (a shared name would make one role's method shadow the other's). This line stops
 * compiling when a contract change breaks that.
 */
export const ROLE_METHODS_ARE_DISJOINT: [Overlap<StateStoreV1, LedgerStoreV1>, Overlap<StateStoreV1, CounterStoreV1>, Overlap<LedgerStoreV1, CounterStoreV1>] extends [never, never, never]
  ? true
  : never = true
