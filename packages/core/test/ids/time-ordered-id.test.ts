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

  it('the random part is the CSPRNG pool\'s, across refills: unique, every digit used, the RFC 9562 variant kept', () => {
    // 5,000 ids take 50,000 bytes: the 4 KiB pool is drawn again a dozen times.
    const ids = Array.from({ length: 5_000 }, () => uuidv7(1_700_000_000_000))
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(UUID_V7)
    const variants = new Set(ids.map((id) => id[19]))
    expect([...variants].sort()).toEqual(['8', '9', 'a', 'b'])
    // Each random hex position takes all 16 values (5,000 draws: missing one has odds below 1e-100).
    for (const position of [15, 16, 17, 20, 21, 22, 24, 30, 35]) expect(new Set(ids.map((id) => id[position])).size, `digit ${position}`).toBe(16)
    const requests = Array.from({ length: 5_000 }, () => newRequestId(1_700_000_000_000))
    expect(new Set(requests).size).toBe(requests.length)
    // req_ + 12 time digits + 7, then the same 19 random digits as a UUIDv7 (variant bits at the 4th).
    expect(new Set(requests.map((id) => id[20])).size).toBeLessThanOrEqual(4)
    expect([...new Set(requests.map((id) => id[20]))].every((digit) => '89ab'.includes(digit!))).toBe(true)
  })

  it('the time digits follow the time given, also going back or jumping ahead', () => {
    for (const at of [5_000, 4_999, 5_000, 0, 2 ** 48 - 1, 1_700_000_000_000, 1_700_000_000_000]) {
      expect(parseInt(newRequestId(at).slice(4, 16), 16)).toBe(at)
      const id = uuidv7(at)
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at)
    }
  })

  it('ledger entries get a time-ordered id unless the caller gives one', () => {
    const entry = newLedgerEntry('test', { accountId: 'a', kind: 'grant', amountMicroUsd: 5 }, 1_700_000_000_000)
    expect(entry.id).toMatch(UUID_V7)
    expect(entry.id.slice(0, 8)).toBe((1_700_000_000_000).toString(16).padStart(12, '0').slice(0, 8))
    expect(newLedgerEntry('test', { accountId: 'a', kind: 'grant', amountMicroUsd: 5, id: 'mine' }).id).toBe('mine')
  })
})
