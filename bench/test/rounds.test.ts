import { describe, expect, it } from 'vitest'
import { roundOrder } from '../lib/rounds.mjs'

describe('roundOrder', () => {
  it('runs the targets as given in even rounds and reversed in odd ones, without touching the list', () => {
    const targets = ['direct', 'bare', 'minimal', 'full', 'portkey']
    expect(roundOrder(targets, 0)).toEqual(targets)
    expect(roundOrder(targets, 1)).toEqual(['portkey', 'full', 'minimal', 'bare', 'direct'])
    expect(roundOrder(targets, 2)).toEqual(targets)
    expect(targets).toEqual(['direct', 'bare', 'minimal', 'full', 'portkey'])
  })

  it('puts each target in every position as often over two rounds: a linear drift favours none', () => {
    const targets = ['a', 'b', 'c', 'd']
    // Speed rises by 1 per slot across the two rounds (slots 0–3, then 4–7).
    const total = new Map(targets.map((t) => [t, 0]))
    for (let round = 0; round < 2; round++) roundOrder(targets, round).forEach((t, slot) => total.set(t, total.get(t)! + round * targets.length + slot))
    expect(new Set(total.values()).size).toBe(1)
  })

})
