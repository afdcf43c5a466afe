/**
 * Time-ordered identifiers (UUID version 7, RFC 9562 §5.7): 48 bits of Unix time in milliseconds,
 * then random bits. Ids made later sort after earlier ones (within a millisecond, in any order), so
 * a store that indexes them (request ids, ledger entry ids, usage events) appends near the end of
 * its B-trees instead of writing a random page of each index per row — with random UUIDs a batch of
 * 50 settlements touched ~50 leaf pages of every such index, with these one or two.
 *
 * The random part comes from `crypto.randomUUID()` (Node's buffered CSPRNG, the cheapest source):
 * its first 48 bits are replaced by the time and its version nibble by 7; the variant bits stay.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = globalThis.crypto.randomUUID()
  const time = hexTime(now)
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`
}

/** A request id: `req_` and a UUIDv7's 32 hex digits, without dashes (time-ordered, unique). */
export function newRequestId(now: number = Date.now()): string {
  // xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx: keep the random 3 + 4 + 12 digits after the version.
  const random = globalThis.crypto.randomUUID()
  return `req_${hexTime(now)}7${random.slice(15, 18)}${random.slice(19, 23)}${random.slice(24)}`
}

/** The low 48 bits of the time in ms as 12 hex digits. */
function hexTime(now: number): string {
  return Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12)
}
