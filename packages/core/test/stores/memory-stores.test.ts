import { testCounterStore, testLedgerStore, testStateStore } from '@modelmesh/testkit'
import { memoryCounterStore, memoryLedgerStore, memoryStateStore } from '../../src/index.js'

// The in-memory stores are isolated per instance, so there is no `peer` (those checks are skipped, saying so).
testStateStore({ name: 'memory', create: () => memoryStateStore() })
testLedgerStore({ name: 'memory', create: () => memoryLedgerStore() })
testCounterStore({ name: 'memory', create: () => memoryCounterStore() })
