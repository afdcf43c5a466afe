import type { ProviderV1, SecretRef } from '../../src/index.js'

/** A provider that is never called: for config-level tests that need an instance. */
export function fakeProvider(id: string, keys: Array<SecretRef | string> = ['k1', 'k2']): ProviderV1 {
  const never = () => {
    throw new Error('fakeProvider is not callable')
  }
  return {
    specificationVersion: 'mesh.provider.v1',
    id,
    dialect: 'openai.chat',
    descriptor: { package: 'fake-provider-package', factory: 'fakeProvider', options: { keys } },
    keys,
    capabilities: ['generation.text.chat'],
    baseURL: 'http://127.0.0.1:9/v1',
    doForward: never,
    doChat: never,
    doStream: never,
    classifyError: () => ({ retryable: false, scope: 'request', reason: 'never' }),
  }
}
