const marker = Symbol.for('modelmesh.error')

/**
 * Base of every ModelMesh error. `isInstance` checks a `Symbol.for` marker rather than the
 * prototype chain, so it works across duplicate copies of this package.
 */
export class MeshError extends Error {
  private readonly [marker] = true

  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = name
  }

  static isInstance(error: unknown): error is MeshError {
    return MeshError.hasMarker(error, marker)
  }

  protected static hasMarker(error: unknown, symbol: symbol): boolean {
    return typeof error === 'object' && error !== null && symbol in error && (error as Record<symbol, unknown>)[symbol] === true
  }
}
