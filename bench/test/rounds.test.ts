import { describe, expect, it } from 'vitest'
import { measureRound, roundOrder } from '../lib/rounds.mjs'

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

describe('measureRound', () => {
  // A round that reports the given steal readings in turn (percent of the VM's cores over its measured seconds).
  const rounds = (...steal: (number | undefined)[]) => {
    const asked: number[] = []
    const measure = async (attempt: number) => {
      asked.push(attempt)
      const percent = steal[attempt]
      return { latencyMs: { p50: 0.3, p99: 2 + attempt }, ...(percent === undefined ? {} : { steal: { stolenMs: 0, wallMs: 4000, percent } }) }
    }
    return { asked, measure }
  }

  it('keeps a round whose steal is within the limit, measured once', async () => {
    const { asked, measure } = rounds(0.4)
    const { run, remeasured } = await measureRound(measure, { limitPercent: 1, retries: 2 })
    expect(asked).toEqual([0])
    expect(run.steal.percent).toBe(0.4)
    expect(remeasured).toEqual([])
  })

  it('measures a stolen round again until one is within the limit, and says what the discarded ones measured', async () => {
    const { asked, measure } = rounds(7.5, 1.2, 0.1)
    const { run, remeasured } = await measureRound(measure, { limitPercent: 1, retries: 2 })
    expect(asked).toEqual([0, 1, 2])
    expect(run.steal.percent).toBe(0.1)
    expect(remeasured).toEqual([
      { stealPercent: 7.5, p50: 0.3, p99: 2 },
      { stealPercent: 1.2, p50: 0.3, p99: 3 },
    ])
  })

  it('keeps the last attempt when every one was stolen, and never measures more than 1 + retries times', async () => {
    const { asked, measure } = rounds(5, 6, 7, 0)
    const { run, remeasured } = await measureRound(measure, { limitPercent: 1, retries: 2 })
    expect(asked).toEqual([0, 1, 2])
    expect(run.steal.percent).toBe(7)
    expect(remeasured.map((r) => r.stealPercent)).toEqual([5, 6])
  })

  it('measures once without a limit, with no retries, or when the round has no steal reading', async () => {
    for (const [steal, options] of [[50, {}], [50, { limitPercent: 1, retries: 0 }], [undefined, { limitPercent: 1, retries: 2 }]] as const) {
      const { asked, measure } = rounds(steal)
      expect((await measureRound(measure, options)).remeasured).toEqual([])
      expect(asked).toEqual([0])
    }
  })
})
