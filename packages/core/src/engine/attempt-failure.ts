import type { ErrorClassification, UpstreamFailure } from '../contracts/error-classification.js'
import type { DeploymentRef, ProviderV1 } from '../contracts/provider.js'

/** Why one attempt failed, as the engine records it. */
export interface AttemptFailure {
  readonly failure: UpstreamFailure
  readonly classification: ErrorClassification
}

/** The record of one attempt, success or not; listed in 502 errors and usage events. */
export interface AttemptRecord {
  readonly deployment: DeploymentRef
  readonly ok: boolean
  readonly status?: number
  readonly reason: string
  readonly durationMs: number
  /** The upstream's Retry-After, when it sent one. */
  readonly retryAfterMs?: number
}


export function classify(provider: ProviderV1, failure: UpstreamFailure): AttemptFailure {
  let classification: ErrorClassification
  try {
    classification = provider.classifyError(failure)
  } catch {
    classification = { retryable: true, scope: 'provider', reason: failure.status ? `http_${failure.status}` : 'provider_error' }
  }
  if (failure.timeout) classification = { ...classification, retryable: true, scope: 'provider', reason: `timeout_${failure.timeout.replace('-', '_')}` }
  return { failure, classification }
}

/** A short reason for humans: `http_503`, `connection_error (ECONNREFUSED)`, `timeout_first_token`. */
export function describeFailure(f: AttemptFailure): string {
  const cause = f.failure.cause as { code?: string; message?: string; cause?: { code?: string } } | undefined
  const detail = cause?.code ?? cause?.cause?.code ?? (f.failure.status ? undefined : cause?.message)
  return detail && !f.failure.timeout ? `${f.classification.reason} (${detail})` : f.classification.reason
}
