import { describe, expect, it } from 'vitest'
import { integerText, millisecondsText } from '../../src/http/number-text.js'

const ms3 = (ms: number) => Math.round(ms * 1000) / 1000

describe('number text without the number-to-string cache', () => {
  it('writes integers as String does', () => {
    const values = [0, -0, 1, 9, 10, 99, 100, 59_999, 99_999_999, 100_000_000, 1_000_000_000, 2 ** 31, 2 ** 53 - 1, -1, -12_345]
    for (let i = 0; i < 2_000; i++) values.push(Math.floor(Math.random() * 1e12))
    for (const n of values) expect(integerText(n)).toBe(String(n))
  })

  it('writes milliseconds with µs precision as String writes the rounded value', () => {
    const values = [0, -0, 0.1, 0.5, 1, 10, 12, 100, 0.071, 0.0005, 0.0004, -0.0004, -0.005, -1.25, 1234.5678, 99_999.9995]
    for (let i = 0; i < 5_000; i++) values.push(Math.random() * 10 ** Math.floor(Math.random() * 6) * (i % 7 === 0 ? -1 : 1))
    for (const v of values) expect(millisecondsText(ms3(v)), `value ${v}`).toBe(String(ms3(v)))
  })
})
