import { describe, expect, it } from 'vitest'
import { ChurnMap, ChurnSet } from '../../src/stores/churn-map.js'

/** The Map (or Set) inside, to see when it is renewed. */
const inner = (churned: ChurnMap<unknown, unknown> | ChurnSet<unknown>): unknown => (churned as unknown as { map?: unknown; set?: unknown }).map ?? (churned as unknown as { set: unknown }).set

describe('ChurnMap', () => {
  it('behaves as a Map through renewals: the same entries, in insertion order', () => {
    const churned = new ChurnMap<string, number>()
    const plain = new Map<string, number>()
    // one set and one delete per "request", ten live at a time, past several renewals
    for (let i = 0; i < 1_000; i++) {
      churned.set(`req-${i}`, i)
      plain.set(`req-${i}`, i)
      if (i >= 10) {
        expect(churned.delete(`req-${i - 10}`)).toBe(plain.delete(`req-${i - 10}`))
      }
      // overwrite a live key now and then: no new entry, order kept
      if (i % 7 === 0) {
        churned.set(`req-${i}`, -i)
        plain.set(`req-${i}`, -i)
      }
    }
    expect([...churned]).toEqual([...plain])
    expect([...churned.keys()]).toEqual([...plain.keys()])
    expect([...churned.values()]).toEqual([...plain.values()])
    expect([...churned.entries()]).toEqual([...plain.entries()])
    expect(churned.size).toBe(10)
    expect(churned.get('req-994')).toBe(-994)
    expect(churned.has('req-989')).toBe(false)
    expect(churned.delete('req-989')).toBe(false)
    const seen: Array<[string, number]> = []
    churned.forEach((value, key, map) => {
      expect(map).toBe(churned)
      seen.push([key, value])
    })
    expect(seen).toEqual([...plain])
  })

  it('copies into a new Map every 64 sets, or every four times its size when that is more', () => {
    const small = new ChurnMap<number, number>()
    const first = inner(small)
    for (let i = 0; i < 63; i++) small.set(i % 5, i)
    expect(inner(small)).toBe(first)
    small.set(99, 99)
    expect(inner(small)).not.toBe(first)
    expect(small.size).toBe(6)

    const large = new ChurnMap<number, number>()
    for (let i = 0; i < 100; i++) large.set(i, i)
    // 100 live entries: no renewal while filling (each set found 4 × size above its count); the
    // next comes at the 400th set
    const afterFill = inner(large)
    for (let i = 0; i < 299; i++) large.set(i % 100, i)
    expect(inner(large)).toBe(afterFill)
    large.set(0, 0)
    expect(inner(large)).not.toBe(afterFill)
    expect(large.size).toBe(100)
  })

  it('starts a new map on clear, and keeps an empty one as it is', () => {
    const churned = new ChurnMap<string, number>()
    const empty = inner(churned)
    churned.clear()
    expect(inner(churned)).toBe(empty)
    churned.set('a', 1)
    churned.clear()
    expect(inner(churned)).not.toBe(empty)
    expect(churned.size).toBe(0)
    expect(churned.get('a')).toBeUndefined()
  })
})

describe('ChurnSet', () => {
  it('behaves as a Set through renewals', () => {
    const churned = new ChurnSet<number>()
    const plain = new Set<number>()
    const first = inner(churned)
    for (let i = 0; i < 500; i++) {
      churned.add(i)
      plain.add(i)
      if (i >= 3) {
        churned.delete(i - 3)
        plain.delete(i - 3)
      }
    }
    expect(inner(churned)).not.toBe(first)
    expect([...churned]).toEqual([...plain])
    expect([...churned.values()]).toEqual([...plain.values()])
    expect([...churned.keys()]).toEqual([...plain.keys()])
    expect([...churned.entries()]).toEqual([...plain.entries()])
    expect(churned.has(499)).toBe(true)
    expect(churned.has(0)).toBe(false)
    expect(churned.size).toBe(3)
    const seen: number[] = []
    churned.forEach((value, again, set) => {
      expect(again).toBe(value)
      expect(set).toBe(churned)
      seen.push(value)
    })
    expect(seen).toEqual([497, 498, 499])
    churned.clear()
    expect(churned.size).toBe(0)
  })

  it('can be awaited as an iterable of promises', async () => {
    const pending = new ChurnSet<Promise<number>>()
    pending.add(Promise.resolve(1)).add(Promise.resolve(2))
    await expect(Promise.all(pending)).resolves.toEqual([1, 2])
  })
})
