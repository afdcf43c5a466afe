import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, configJsonSchema, defineConfig, normalizeConfig, parseConfigText, secret, validateConfig, instantiateConfig } from '../src/index.js'
import { fakeProvider } from './helpers/fake-provider.js'

const base = () =>
  defineConfig({
    providers: { openai: fakeProvider('openai') },
    models: { smart: { targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] } },
  })

function issuesOf(config: unknown) {
  try {
    validateConfig(config)
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true)
    return (error as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('config validation', () => {
  it('accepts a minimal config and applies defaults in the IR', () => {
    const json = validateConfig(base())
    const ir = normalizeConfig(json, () => 2)
    expect(ir.server).toEqual({ host: '127.0.0.1', port: 4000, bodyLimitBytes: 4 * 1024 * 1024 })
    expect(ir.models.smart!.selection).toBe('priority')
    expect(ir.models.smart!.retry.attempts).toBe(2)
    expect(ir.models.smart!.timeout.firstTokenMs).toBe(60_000)
    expect(ir.providers.openai!.keyCount).toBe(2)
    // The IR is plain JSON: it survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(ir))).toEqual(ir)
  })

  it('names a misspelled key with its path and a suggestion', () => {
    const config = { ...base(), models: { smart: { targets: [{ provider: 'openai', model: 'x' }], selecton: 'weighted' } } }
    const [issue] = issuesOf(config)
    expect(issue).toMatchObject({ path: 'models.smart.selecton', found: 'unknown key "selecton"', hint: 'did you mean "selection"?' })
    expect(issue!.expected).toContain('selection')
  })

  it('lists the accepted values of a union', () => {
    const config = { ...base(), models: { smart: { targets: [{ provider: 'openai', model: 'x' }], selection: 'fastest' } } }
    expect(issuesOf(config)).toContainEqual({
      path: 'models.smart.selection',
      expected: 'one of "priority" | "weighted" | "round-robin" | "least-latency" | "least-busy" | "cost" | "rate-limit-headroom" | "cache-affinity"',
      found: '"fastest"',
    })
  })

  it('reports wrong types with what was found', () => {
    const config = { ...base(), server: { port: 'eighty' } }
    const [issue] = issuesOf(config)
    expect(issue).toMatchObject({ path: 'server.port', found: '"eighty"' })
    expect(issue!.expected).toContain('integer')
  })

  it('reports a missing required field', () => {
    expect(issuesOf({ providers: {} })).toContainEqual({ path: 'models', expected: 'a value (required)', found: 'nothing' })
  })

  it('reports a target naming an unknown provider, with a suggestion', () => {
    const config = { ...base(), models: { smart: { targets: [{ provider: 'opnai', model: 'x' }] } } }
    expect(issuesOf(config)).toEqual([
      { path: 'models.smart.targets[0].provider', expected: 'one of the configured providers (openai)', found: '"opnai"', hint: 'did you mean "openai"?' },
    ])
  })

  it('rejects a bad duration with the path', () => {
    const config = { ...base(), models: { smart: { targets: [{ provider: 'openai', model: 'x' }], timeout: { total: '2 minutes' } } } }
    expect(issuesOf(config)[0]!.path).toBe('models.smart.timeout.total')
  })

  it('error message lists every issue', () => {
    const config = { providers: {}, models: { a: { targets: [] } }, extra: 1 }
    expect(() => validateConfig(config, 'mesh.config.json')).toThrowError(/in mesh.config.json:[\s\S]*extra[\s\S]*models\.a\.targets/)
  })
})

describe('YAML / JSON configs', () => {
  const yaml = `
providers:
  openai:
    package: fake-provider-package
    factory: fakeProvider
    options:
      keys: ['\${secrets:OPENAI_API_KEY}']
models:
  smart:
    targets: [{ provider: openai, model: gpt-4o-mini }]
    timeout: { firstToken: 15s }
`
  it('parses `${secrets:NAME}` into secret references', () => {
    const json = parseConfigText(yaml, 'yaml') as { providers: { openai: { options: { keys: unknown[] } } } }
    expect(json.providers.openai.options.keys).toEqual([secret('OPENAI_API_KEY')])
  })

  it('instantiates plugins by package and factory name', async () => {
    const config = await instantiateConfig(parseConfigText(yaml, 'yaml'), async () => ({ fakeProvider: (o: { keys: [] }) => fakeProvider('openai', o.keys) }))
    expect(config.providers.openai!.keys).toEqual([{ $secret: 'OPENAI_API_KEY' }])
  })

  it('names a missing factory export', async () => {
    await expect(instantiateConfig(parseConfigText(yaml, 'yaml'), async () => ({ other: () => null }))).rejects.toThrowError(/providers\.openai\.factory: expected a function exported by fake-provider-package \(other\)/)
  })

  it('reports a YAML syntax error as a config error', () => {
    expect(() => parseConfigText('models: [', 'yaml', 'mesh.config.yaml')).toThrowError(ConfigError)
  })
})

describe('generated JSON Schema', () => {
  it('schema/mesh.config.schema.json is current (run `npm run schema` to update)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../schema/mesh.config.schema.json', import.meta.url), 'utf8'))
    expect(committed).toEqual(configJsonSchema())
  })
})
