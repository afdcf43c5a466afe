import { isSecretRef, type SecretRef } from '../contracts/secret-ref.js'
import type { SecretStoreV1 } from '../contracts/secret-store.js'
import { ConfigError, type ConfigIssue } from '../errors/config-error.js'

/**
 * Resolve every credential once, at start-up, through the stores in order. Values stay in memory
 * and are never logged; a missing secret is a config error naming the secret, never its value.
 */
export async function resolveCredentials(
  stores: readonly SecretStoreV1[],
  providers: Readonly<Record<string, { keys: ReadonlyArray<SecretRef | string> }>>,
): Promise<Map<string, Array<string | undefined>>> {
  const out = new Map<string, Array<string | undefined>>()
  const issues: ConfigIssue[] = []
  for (const [name, provider] of Object.entries(providers)) {
    const values: Array<string | undefined> = []
    for (const [i, key] of provider.keys.entries()) {
      if (!isSecretRef(key)) {
        values.push(key)
        continue
      }
      let value: string | undefined
      for (const store of stores) {
        value = await store.get(key.$secret)
        if (value !== undefined) break
      }
      if (value === undefined) {
        issues.push({
          path: `providers.${name}.keys[${i}]`,
          expected: `secret "${key.$secret}" in one of the secret stores (${stores.map((s) => s.name).join(', ')})`,
          found: 'nothing',
          hint: `set ${key.$secret} in the environment or your secret store`,
        })
      }
      values.push(value)
    }
    out.set(name, values)
  }
  if (issues.length) throw new ConfigError(issues)
  return out
}
