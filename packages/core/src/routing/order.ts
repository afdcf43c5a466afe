/**
 * Sorting a pool by a per-candidate number, for the routing decision of every request.
 *
 * `Array.prototype.sort` with a comparator calls back into JavaScript ~n·log₂n times (about 10,000
 * calls for a thousand deployments, most of a weighted pick's time). Here the keys go into a
 * `Float64Array`, each candidate's index is written into the lowest bits of its key's mantissa,
 * and the typed array is sorted natively, without a comparator; the indices are read back from
 * the sorted keys. For non-negative finite doubles the numeric order is the order of their bit
 * patterns, so the result is the order by key, ties by index (as a stable sort gives). The one
 * difference: two keys closer than 2^b units in the last place (b = bits of the index, 10 for a
 * thousand candidates: a relative difference under n·2⁻⁵²) are ordered by index instead — far below
 * anything a weight, a latency or a random draw can express. A dozen items or fewer (most pools) take
 * a plain insertion sort instead: no typed array, no runtime call.
 */

/** Whether the low 32 bits of a double come first in memory (every platform Node runs on but s390x). */
const LOW_WORD = new Float64Array(new Uint32Array([0, 0x3ff00000]).buffer)[0] === 1 ? 0 : 1

/** Up to this many items an insertion sort on plain arrays beats the typed array's fixed costs (a view, a runtime call). */
const SMALL = 12

const clamp = (key: number) => (key > 0 ? (key < Number.MAX_VALUE ? key : Number.MAX_VALUE) : 0)

let keys = new Float64Array(64)
let words = new Uint32Array(keys.buffer)

/**
 * The order of `n` items by `keyOf(i)` (smallest first, ties by index), as indices. `keyOf` is
 * called once per item, in index order. Keys are clamped to [0, Number.MAX_VALUE]: negative keys
 * (and -0, NaN) count as 0 and Infinity as the largest finite double.
 */
export function orderByKey(n: number, keyOf: (i: number) => number): number[] {
  if (n <= SMALL) return orderSmall(n, keyOf)
  if (n > keys.length) {
    keys = new Float64Array(Math.max(n, keys.length * 2))
    words = new Uint32Array(keys.buffer)
  }
  let bits = 1
  while (2 ** bits < n) bits++
  const mask = 2 ** bits - 1
  for (let i = 0; i < n; i++) {
    const key = keyOf(i)
    keys[i] = clamp(key)
    const w = 2 * i + LOW_WORD
    // Above 2^32 items the index no longer fits the low word: out of reach of any pool.
    words[w] = (words[w]! - (words[w]! % (mask + 1)) + i) >>> 0
  }
  keys.subarray(0, n).sort()
  const order = new Array<number>(n)
  for (let j = 0; j < n; j++) order[j] = words[2 * j + LOW_WORD]! % (mask + 1)
  return order
}

/** `orderByKey` for a few items (most pools, and the one-deployment ones): stable insertion sort. */
function orderSmall(n: number, keyOf: (i: number) => number): number[] {
  const small: number[] = []
  const order: number[] = []
  for (let i = 0; i < n; i++) {
    const key = clamp(keyOf(i))
    small.push(key)
    let j = i
    while (j > 0 && small[order[j - 1]!]! > key) {
      order[j] = order[j - 1]!
      j--
    }
    order[j] = i
  }
  return order
}
