import { testLedgerStore, testStateStore } from '@modelmesh/testkit'
import { dropSchema, freshSchema, openStore } from './support/database.js'

// Each suite runs in its own fresh schema, dropped at the end; `peer` is a second pool on it,
// as a second gateway instance would have.
const state = freshSchema()
testStateStore({ name: 'postgres', create: () => openStore(state), peer: () => openStore(state), cleanup: () => dropSchema(state) })

const ledger = freshSchema()
testLedgerStore({ name: 'postgres', create: () => openStore(ledger), peer: () => openStore(ledger), cleanup: () => dropSchema(ledger) })
