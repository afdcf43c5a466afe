import type { ErrorObject } from 'ajv'
import type { ConfigIssue } from '../errors/config-error.js'
import { ConfigError } from '../errors/config-error.js'
import { validate as generatedValidator } from './config-validator.generated.js'
import { ajvErrorsToIssues, describeValue, didYouMean } from './issues.js'
import type { MeshConfigJson } from './schema.js'

/**
 * MeshConfigSchema compiled by ajv ahead of time (config-validator.generated.ts, options in
 * config-validator-source.ts; a test keeps it in sync with the schema): the same checks and errors as
 * `ajv.compile(MeshConfigSchema)`, without compiling the schema at every start.
 */
const validateSchema = generatedValidator as unknown as ((data: unknown) => data is MeshConfigJson) & { errors?: ErrorObject[] | null }

interface HasDescriptor {
  specificationVersion?: unknown
  descriptor?: unknown
}

/** Plugin instances (objects carrying a `specificationVersion`) become their JSON descriptors. */
function pluginToJson(value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as HasDescriptor).specificationVersion === 'string') {
    return (value as HasDescriptor).descriptor ?? { package: '(unknown)', factory: '(plugin without a descriptor)', options: {} }
  }
  return value
}

/** The JSON form of a config: the same object with plugin instances replaced by descriptors. */
export function toJsonForm(config: unknown): unknown {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return config
  const input = config as Record<string, unknown>
  const out: Record<string, unknown> = { ...input }
  if (input.providers && typeof input.providers === 'object' && !Array.isArray(input.providers)) {
    out.providers = Object.fromEntries(Object.entries(input.providers).map(([k, v]) => [k, pluginToJson(v)]))
  }
  if (Array.isArray(input.secrets)) out.secrets = input.secrets.map(pluginToJson)
  if (input.stores && typeof input.stores === 'object' && !Array.isArray(input.stores)) {
    out.stores = Object.fromEntries(Object.entries(input.stores).map(([k, v]) => [k, pluginToJson(v)]))
  }
  return out
}

function semanticIssues(config: MeshConfigJson): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const providerNames = Object.keys(config.providers)
  for (const [name, model] of Object.entries(config.models)) {
    model.targets.forEach((target, i) => {
      if (!(target.provider in config.providers)) {
        const guess = didYouMean(target.provider, providerNames)
        issues.push({
          path: `models.${name}.targets[${i}].provider`,
          expected: providerNames.length ? `one of the configured providers (${providerNames.join(', ')})` : 'a provider configured under `providers`',
          found: describeValue(target.provider),
          ...(guess ? { hint: `did you mean "${guess}"?` } : {}),
        })
      }
    })
  }
  const port = config.server?.port
  if (port !== undefined && port !== 0 && port < 1024) {
    issues.push({ path: 'server.port', expected: 'a port from 1024 to 65535 (or 0 for any free port)', found: describeValue(port) })
  }
  return issues
}

/**
 * Validate a config (TypeScript form with plugin instances, or JSON/YAML form with descriptors).
 * Throws a {@link ConfigError} naming every wrong path, what was expected and what was found.
 */
export function validateConfig(config: unknown, source?: string): MeshConfigJson {
  const json = toJsonForm(config)
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError([{ path: '', expected: 'an object with `providers` and `models`', found: describeValue(json) }], source)
  }
  if (!validateSchema(json)) {
    throw new ConfigError(ajvErrorsToIssues(validateSchema.errors ?? [], json), source)
  }
  const issues = semanticIssues(json)
  if (issues.length) throw new ConfigError(issues, source)
  return json
}
