import { describe, expect, it } from 'vitest'
import { growthOf, parseOldSpaceLine } from '../lib/old-space.mjs'

describe('old-space probe lines', () => {
  it('reads the probe line and nothing else', () => {
    expect(parseOldSpaceLine('old-space 1234 2')).toEqual([1234, 2])
    expect(parseOldSpaceLine('listening on 127.0.0.1:4000')).toBeUndefined()
    expect(parseOldSpaceLine('old-space 12 x')).toBeUndefined()
  })
})

describe('growthOf', () => {
  it('averages the one-second increases, leaving out the seconds in which a mark-compact ran', () => {
    // +1000, +1200, a mark-compact (down 5000), +800: (1000 + 1200 + 800) / 3
    const samples: Array<[number, number]> = [
      [10_000, 4],
      [11_000, 4],
      [12_200, 4],
      [7_200, 5],
      [8_000, 5],
    ]
    expect(growthOf(samples)).toEqual({ bytesPerSecond: 1000, seconds: 3, markCompacts: 1 })
  })

  it('says NaN (not zero) when every second had a mark-compact or there were too few samples', () => {
    expect(growthOf([[5, 0]]).bytesPerSecond).toBeNaN()
    expect(growthOf([]).markCompacts).toBe(0)
    expect(growthOf([[5, 0], [1, 1]])).toEqual({ bytesPerSecond: NaN, seconds: 0, markCompacts: 1 })
  })
})
