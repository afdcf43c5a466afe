import type { ErrorClassification } from '../contracts/error-classification.js'
import { MeshError } from './mesh-error.js'

const marker = Symbol.for('modelmesh.error.upstream')

/** A failed upstream call: its status (if any), a bounded excerpt of its body, and its classification. */
export class UpstreamError extends MeshError {
  private readonly [marker] = true
  readonly status: number | undefined
  readonly body: string | undefined
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly classification: ErrorClassification | undefined

  constructor(init: {
    message: string
    status?: number
    body?: string
    headers?: Record<string, string | undefined>
    classification?: ErrorClassification
    cause?: unknown
  }) {
    super('UpstreamError', init.message, { cause: init.cause })
    this.status = init.status
    this.body = init.body
    this.headers = init.headers ?? {}
    this.classification = init.classification
  }

  get isRetryable(): boolean {
    return this.classification?.retryable ?? false
  }

  static override isInstance(error: unknown): error is UpstreamError {
    return MeshError.hasMarker(error, marker)
  }
}
