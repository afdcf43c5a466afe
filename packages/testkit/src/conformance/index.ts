export { testProvider, providerChecks, type TestProviderOptions, type UpstreamAddress } from './test-provider.js'
export { callContext, chatRequest, type AuthHeader, type CheckEnv } from './check-helpers.js'
export { dialectFixtures, UNKNOWN_FIELD, type DialectFixture } from './dialect-fixtures.js'
export type { ProviderCheck, ProviderFeature } from './provider-check.js'
