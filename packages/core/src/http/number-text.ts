/**
 * Numbers as header text without V8's number-to-string cache.
 *
 * `String(n)` (and `${n}`, `n.toString()`) keeps each result in a table of the old generation, so
 * the string of every number not seen before outlives the next scavenge and is promoted: a
 * per-request value (a rate limit's remaining count, the overhead in ms) adds ~25 bytes a header
 * to every scavenge's copying and to the old space (bench/README, "Fifteenth session").
 * `toFixed` builds a fresh string that dies young. Constants (a limit, a count of 1) are better
 * left to `String`, whose cache then holds them for good.
 */

/** An integer as `String(n)` writes it (|n| < 1e21). */
export function integerText(n: number): string {
  return n.toFixed(0)
}

/** A value rounded to 3 decimals (milliseconds with µs precision) as `String(n)` writes it: `0.1`, `12`, `0.071`. */
export function millisecondsText(ms: number): string {
  const fixed = ms.toFixed(3)
  let end = fixed.length
  while (fixed.charCodeAt(end - 1) === 48 /* 0 */) end--
  if (fixed.charCodeAt(end - 1) === 46 /* . */) end--
  const text = end === fixed.length ? fixed : fixed.slice(0, end)
  return text === '-0' ? '0' : text
}
