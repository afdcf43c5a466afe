import type { CheckEnv } from './check-helpers.js'

/**
 * Optional parts of the conformance suite a provider can declare unsupported through
 * `testProvider({ skip: { feature: 'why' } })`. Checks without a feature always run.
 */
export type ProviderFeature = 'forward' | 'chat' | 'stream' | 'tools' | 'abort' | 'classify-error'

/** One named conformance check; `testProvider` turns each into an `it`. */
export interface ProviderCheck {
  readonly name: string
  readonly feature?: ProviderFeature
  run(env: CheckEnv): Promise<void> | void
}
