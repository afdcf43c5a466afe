import { describe, expect, it } from 'vitest'
import { randomId } from '../src/fake-shared/answer-plan.js'

describe('randomId', () => {
  it('makes distinct ids of the asked length from its alphabet, also across refills of its byte pool', () => {
    // 1,000 ids of 24 characters draw ~24 KB: the 4 KiB pool is refilled several times.
    const ids = Array.from({ length: 1000 }, (_, i) => randomId('req_', i % 2 === 0 ? 24 : 16))
    expect(new Set(ids).size).toBe(ids.length)
    ids.forEach((id, i) => expect(id).toMatch(i % 2 === 0 ? /^req_[A-Za-z0-9]{24}$/ : /^req_[A-Za-z0-9]{16}$/))
    // A length larger than the pool still gets random characters throughout.
    const long = randomId('', 5000)
    expect(long).toHaveLength(5000)
    expect(new Set(long.slice(4500)).size).toBeGreaterThan(30)
  })
})
