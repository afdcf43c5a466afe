import { describe, expect, it } from 'vitest'
import { newLedgerEntry, newRequestId, uuidv7 } from '../../src/index.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('time-ordered ids', () => {
  it('uuidv7 is an RFC 9562 version 7 UUID whose first 48 bits are the Unix time in ms', () => {
    const at = Date.UTC(2026, 11, 1, 14, 30, 0, 123)
    const id = uuidv7(at)
    expect(id).toMatch(UUID_V7)
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at)
    expect(uuidv7(0)).toMatch(/^00000000-0000-7/)
  })

  it('ids of later milliseconds sort after earlier ones, and ids are unique', () => {
    const start = Date.now()
    const ids = Array.from({ length: 2_000 }, (_, i) => uuidv7(start + Math.floor(i / 10)))
    expect(new Set(ids).size).toBe(ids.length)
    for (let i = 10; i < ids.length; i++) expect(ids[i]! > ids[i - 10]!, `${ids[i]} after ${ids[i - 10]}`).toBe(true)
  })

  it('request ids keep their shape (req_ + 32 hex) and are time-ordered', () => {
    const a = newRequestId(1_000)
    const b = newRequestId(1_001)
    expect(a).toMatch(/^req_[0-9a-f]{32}$/)
    expect(a < b).toBe(true)
    expect(newRequestId()).toMatch(/^req_[0-9a-f]{12}7/)
  })

  it('ledger entries get a time-ordered id unless the caller gives one', () => {
    const entry = newLedgerEntry('test', { accountId: 'a', kind: 'grant', amountMicroUsd: 5 }, 1_700_000_000_000)
    expect(entry.id).toMatch(UUID_V7)
    expect(entry.id.slice(0, 8)).toBe((1_700_000_000_000).toString(16).padStart(12, '0').slice(0, 8))
    expect(newLedgerEntry('test', { accountId: 'a', kind: 'grant', amountMicroUsd: 5, id: 'mine' }).id).toBe('mine')
  })
})
