import { MeshError } from '../errors/mesh-error.js'

const marker = Symbol.for('modelmesh.error.store')

/**
 * - `invalid-input`: the caller passed something the contract forbids (a float amount, a bad hash)
 * - `not-found`: a write refers to an account that does not exist
 * - `conflict`: the write contradicts stored data (a key hash owned by another key id)
 * - `unavailable`: the database / server cannot be reached or refused the operation
 */
export type StoreErrorCode = 'invalid-input' | 'not-found' | 'conflict' | 'unavailable'

/** An error of a store connector. The message says what was wrong, where, and what to do. */
export class StoreError extends MeshError {
  private readonly [marker] = true
  readonly code: StoreErrorCode
  /** The store that raised it, e.g. `sqlite ledger` or `redis counters`. */
  readonly store: string

  constructor(init: { code: StoreErrorCode; store: string; message: string; cause?: unknown }) {
    super('StoreError', `${init.store}: ${init.message}`, { cause: init.cause })
    this.code = init.code
    this.store = init.store
  }

  static override isInstance(error: unknown): error is StoreError {
    return MeshError.hasMarker(error, marker)
  }
}
