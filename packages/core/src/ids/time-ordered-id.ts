/**
 * Time-ordered identifiers (UUID version 7, RFC 9562 §5.7): 48 bits of Unix time in milliseconds,
 * then random bits. Ids made later sort after earlier ones (within a millisecond, in any order), so
 * a store that indexes them (request ids, ledger entry ids, usage events) appends near the end of
 * its B-trees instead of writing a random page of each index per row — with random UUIDs a batch of
 * 50 settlements touched ~50 leaf pages of every such index, with these one or two.
 *
 * The random bits come from the platform's CSPRNG (`crypto.getRandomValues`), drawn 4 KiB at a time
 * into a pool that each id takes 10 bytes of (74 random bits: 12 after the version nibble, 62 after
 * the variant bits), and the digits from a table of the 256 byte values: ~0.3-0.4 µs an id made and
 * used as a Map key, against ~0.8-1.0 µs through `crypto.randomUUID()` and slices of its text, and
 * ~1 KB less of intermediate strings (`bench/micro/ids.mjs`). The time's digits are made once per
 * millisecond.
 */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))
/** The second digit of a byte's two (a random nibble). */
const LOW: readonly string[] = HEX.map((digits) => digits[1]!)
const POOL_BYTES = 4096
const ID_BYTES = 10
const pool = new Uint8Array(POOL_BYTES)
let taken = POOL_BYTES

/** The offset of `ID_BYTES` fresh random bytes in `pool` (never handed out twice). */
function randomBytes(): number {
  if (taken + ID_BYTES > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool)
    taken = 0
  }
  const at = taken
  taken += ID_BYTES
  return at
}

/**
 * 74 random bits as 19 hex digits in three groups joined by `separator`: 3 digits, then 4 whose first
 * holds the RFC 9562 variant (`10`) and 2 random bits, then 12: what follows the version nibble of a
 * UUIDv7's 32 digits.
 */
function randomDigits(separator: string): string {
  const p = pool
  const i = randomBytes()
  return (
    LOW[p[i]!]! + HEX[p[i + 1]!]! + separator +
    HEX[(p[i + 2]! & 0x3f) | 0x80]! + HEX[p[i + 3]!]! + separator +
    HEX[p[i + 4]!]! + HEX[p[i + 5]!]! + HEX[p[i + 6]!]! + HEX[p[i + 7]!]! + HEX[p[i + 8]!]! + HEX[p[i + 9]!]!
  )
}

export function uuidv7(now: number = Date.now()): string {
  const time = hexTime(now)
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomDigits('-')}`
}

/** A request id: `req_` and a UUIDv7's 32 hex digits, without dashes (time-ordered, unique). */
export function newRequestId(now: number = Date.now()): string {
  return `req_${hexTime(now)}7${randomDigits('')}`
}

let lastMs = -1
let lastHex = '000000000000'

/** The low 48 bits of the time in ms as 12 hex digits (the last millisecond's kept). */
function hexTime(now: number): string {
  const ms = Math.max(0, Math.floor(now))
  if (ms !== lastMs) {
    lastHex = ms.toString(16).padStart(12, '0').slice(-12)
    lastMs = ms
  }
  return lastHex
}
