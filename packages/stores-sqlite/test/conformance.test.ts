import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testLedgerStore, testStateStore } from '@modelmesh/testkit'
import { sqlite } from '../src/index.js'

// Each suite gets its own file; `peer` opens a second connection to it, as a second gateway process would.
function tempDatabase(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-sqlite-'))
  return { path: join(dir, 'nested', 'mesh.db'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

const state = tempDatabase()
testStateStore({ name: 'sqlite', create: () => sqlite({ path: state.path }), peer: () => sqlite({ path: state.path }), cleanup: state.remove })

const ledger = tempDatabase()
testLedgerStore({ name: 'sqlite', create: () => sqlite({ path: ledger.path }), peer: () => sqlite({ path: ledger.path }), cleanup: ledger.remove })

testLedgerStore({ name: 'sqlite :memory: with synchronous normal', create: () => sqlite({ path: ':memory:', synchronous: 'normal' }) })

// The default is synchronous NORMAL; FULL splits holds (volatile) and debits (durable) into two batches per tick.
const full = tempDatabase()
testLedgerStore({ name: 'sqlite with synchronous full', create: () => sqlite({ path: full.path, synchronous: 'full' }), peer: () => sqlite({ path: full.path, synchronous: 'full' }), cleanup: full.remove })

// Process-local holds: one gateway process per file; the cross-instance checks do not apply.
const processHolds = tempDatabase()
testLedgerStore({ name: "sqlite with holds: 'process'", create: () => sqlite({ path: processHolds.path, holds: 'process' }), cleanup: processHolds.remove, skip: { peer: "holds: 'process' keeps reservations in one process's memory" } })

// Both at once: holds in memory, debits fsynced (the holds' operations then queue with the volatile batch).
const processHoldsFull = tempDatabase()
testLedgerStore({ name: "sqlite with holds: 'process' and synchronous full", create: () => sqlite({ path: processHoldsFull.path, holds: 'process', synchronous: 'full' }), cleanup: processHoldsFull.remove, skip: { peer: "holds: 'process' keeps reservations in one process's memory" } })

// Process-local holds with the background worker running from the start and `debitsInWorker`: it
// commits the journaled debits (and usage records) on its own connection while the main thread's cache counts them.
const workerDebits = tempDatabase()
testLedgerStore({ name: "sqlite with holds: 'process' and the worker from the start", create: () => sqlite({ path: workerDebits.path, holds: 'process', workerStartBytes: 0, debitsInWorker: true }), cleanup: workerDebits.remove, skip: { peer: "holds: 'process' keeps reservations in one process's memory" } })
