import { createRequire } from 'node:module'
import type { PluginDescriptor } from '../contracts/plugin-descriptor.js'
import type { ProviderV1 } from '../contracts/provider.js'
import type { SecretStoreV1 } from '../contracts/secret-store.js'
import { ConfigError } from '../errors/config-error.js'
import type { MeshConfig } from './define-config.js'
import type { MeshConfigJson } from './schema.js'
import { validateConfig } from './validate.js'

// yaml is loaded the first time a YAML config is parsed (a TypeScript config never needs it);
// `require` keeps `parseConfigText` synchronous (yaml's `node` export is CommonJS).
let yaml: typeof import('yaml') | undefined
function parseYaml(text: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return yaml.parse(text)
}

const SECRET_PATTERN = /^\$\{secrets:([^}]+)\}$/

/** Replace `${secrets:NAME}` strings by secret references, anywhere in the tree. */
function substituteSecrets(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = SECRET_PATTERN.exec(value)
    return match ? { $secret: match[1] } : value
  }
  if (Array.isArray(value)) return value.map(substituteSecrets)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteSecrets(v)]))
  }
  return value
}

/** Parse the text of a `mesh.config.yaml` / `.json` into its JSON form (not yet validated). */
export function parseConfigText(text: string, format: 'yaml' | 'json', source?: string): unknown {
  let parsed: unknown
  try {
    parsed = format === 'json' ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new ConfigError([{ path: '', expected: `valid ${format.toUpperCase()}`, found: (error as Error).message.split('\n')[0] ?? 'a syntax error' }], source)
  }
  return substituteSecrets(parsed)
}

export type PluginImporter = (packageName: string) => Promise<Record<string, unknown>>

async function instantiate<T>(descriptor: PluginDescriptor, path: string, importer: PluginImporter, source?: string): Promise<T> {
  let mod: Record<string, unknown>
  try {
    mod = await importer(descriptor.package)
  } catch (error) {
    throw new ConfigError([{ path: `${path}.package`, expected: 'an installed plugin package', found: `"${descriptor.package}" (${(error as Error).message.split('\n')[0]})`, hint: `run: npm install ${descriptor.package}` }], source)
  }
  const factory = mod[descriptor.factory]
  if (typeof factory !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function')
    throw new ConfigError([{ path: `${path}.factory`, expected: `a function exported by ${descriptor.package} (${exported.join(', ')})`, found: `"${descriptor.factory}"` }], source)
  }
  return (factory as (options: unknown) => T)(descriptor.options ?? {})
}

/** Turn a validated JSON-form config into the TypeScript form by importing its plugins. */
export async function instantiateConfig(json: unknown, importer: PluginImporter = (p) => import(p), source?: string): Promise<MeshConfig> {
  const config: MeshConfigJson = validateConfig(json, source)
  const providers: Record<string, ProviderV1> = {}
  for (const [name, descriptor] of Object.entries(config.providers)) {
    providers[name] = await instantiate<ProviderV1>(descriptor, `providers.${name}`, importer, source)
  }
  let secrets: SecretStoreV1[] | undefined
  if (config.secrets) {
    secrets = []
    for (const [i, descriptor] of config.secrets.entries()) {
      secrets.push(await instantiate<SecretStoreV1>(descriptor, `secrets[${i}]`, importer, source))
    }
  }
  const stores: NonNullable<MeshConfig['stores']> = {}
  // One package often plays several roles (SQLite: state + ledger): share one instance per descriptor.
  const made = new Map<string, unknown>()
  for (const [role, descriptor] of Object.entries(config.stores ?? {})) {
    const id = JSON.stringify(descriptor)
    if (!made.has(id)) made.set(id, await instantiate<unknown>(descriptor, `stores.${role}`, importer, source))
    ;(stores as Record<string, unknown>)[role] = made.get(id)
  }
  const { providers: _p, secrets: _s, stores: _st, $schema: _schema, ...rest } = config
  return { ...rest, providers, ...(secrets ? { secrets } : {}), ...(config.stores ? { stores } : {}) }
}
