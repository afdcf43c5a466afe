import type { SecretStoreV1 } from '../contracts/secret-store.js'

export interface EnvSecretsOptions {
  /** Prefix added to every name (`MESH_` turns `secret('OPENAI')` into `MESH_OPENAI`). */
  prefix?: string
}

/** Secrets from the process environment. The default store. */
export function envSecrets(options: EnvSecretsOptions = {}, env: NodeJS.ProcessEnv = process.env): SecretStoreV1 {
  const prefix = options.prefix ?? ''
  return {
    specificationVersion: 'mesh.secrets.v1',
    name: 'env',
    descriptor: { package: '@modelmesh/core', factory: 'envSecrets', options },
    async get(name) {
      const value = env[prefix + name]
      return value === undefined || value === '' ? undefined : value
    },
    async list() {
      return Object.keys(env)
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(prefix.length))
    },
  }
}
