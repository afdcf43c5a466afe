import { readFile } from 'node:fs/promises'
import { parseEnv } from 'node:util'
import type { SecretStoreV1 } from '../contracts/secret-store.js'

export interface DotenvSecretsOptions {
  /** Path of the file (default `.env` in the working directory). */
  path?: string
  /** When false (default) a missing file is an empty store; when true it is an error. */
  required?: boolean
}

/**
 * Secrets from a dotenv file, parsed with Node's own `util.parseEnv` (no dependency).
 * The file is read once, on first use; the process environment is not modified.
 */
export function dotenvSecrets(options: DotenvSecretsOptions = {}): SecretStoreV1 {
  const path = options.path ?? '.env'
  let values: Promise<Record<string, string>> | undefined
  const load = () =>
    (values ??= readFile(path, 'utf8').then(
      (text) => parseEnv(text) as Record<string, string>,
      (error: NodeJS.ErrnoException): Record<string, string> => {
        if (error.code === 'ENOENT' && !options.required) return {}
        throw new Error(`dotenv secret store: cannot read ${path}: ${error.code ?? error.message}`)
      },
    ))
  return {
    specificationVersion: 'mesh.secrets.v1',
    name: 'dotenv',
    descriptor: { package: '@modelmesh/core', factory: 'dotenvSecrets', options },
    async get(name) {
      return (await load())[name]
    },
    async list() {
      return Object.keys(await load())
    },
  }
}
