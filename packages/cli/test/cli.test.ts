import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { check, dev } from '../src/index.js'

const run = promisify(execFile)
const here = fileURLToPath(new URL('.', import.meta.url))
const bin = join(here, '../dist/bin.js')

// Config files live inside the package so their imports resolve through its node_modules
// (to the built packages: the README's test command builds before testing).
let dir: string
let fake: FakeUpstream
beforeAll(async () => {
  dir = mkdtempSync(join(here, '.tmp-'))
  fake = await startFakeOpenAI()
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await fake.close()
})

function tsConfig(models: string[], baseURL = fake.baseURL) {
  return `import { defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
export default defineConfig({
  providers: { local: openai({ baseURL: '${baseURL}', keys: ['k'] }) },
  models: { ${models.map((m) => `'${m}': { targets: [{ provider: 'local', model: 'gpt-4o-mini' }] }`).join(', ')} },
})
`
}

function collect() {
  const lines: string[] = []
  return { lines, log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) }
}

describe('mesh check', () => {
  it('accepts a valid TypeScript config', async () => {
    const file = join(dir, 'ok.config.ts')
    writeFileSync(file, tsConfig(['smart']))
    const out = collect()
    expect(await check({ config: file, ...out })).toBe(0)
    expect(out.lines.join('\n')).toMatch(/OK — 1 providers, 1 models, 1 deployments/)
  })

  it('accepts an .mts config with a local import, top-level await and import.meta.url', async () => {
    writeFileSync(join(dir, 'models.ts'), "export const models: string[] = ['a', 'b']\n")
    const file = join(dir, 'meta.config.mts')
    const source = tsConfig(['x']).replace("export default defineConfig({", `import { models } from './models'
const here: string = import.meta.url
const names = await Promise.resolve(models)
if (!here.endsWith('/meta.config.mts') || __dirname !== ${JSON.stringify(dir)}) throw new Error('wrong location: ' + here)
export default defineConfig({`).replace("models: { 'x'", "models: { [names[0]!]: { targets: [{ provider: 'local', model: 'm' }] }, 'x'")
    writeFileSync(file, source)
    const out = collect()
    expect(await check({ config: file, ...out })).toBe(0)
    expect(out.lines.join('\n')).toMatch(/OK — 1 providers, 2 models/)
  })

  it('names file and line of a syntax error in a TypeScript config', async () => {
    const file = join(dir, 'broken.config.ts')
    writeFileSync(file, tsConfig(['smart']).replace("keys: ['k']", "keys: ['k'],,"))
    const out = collect()
    expect(await check({ config: file, ...out })).toBe(1)
    expect(out.lines.join('\n')).toContain(`${file}:4:`)
  })

  it('rejects a YAML config with a misspelled key, naming path, expected and found', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, `providers:\n  local:\n    package: '@modelmesh/providers-openai'\n    factory: openai\n    options: { baseURL: '${fake.baseURL}' }\nmodels:\n  smart:\n    targest: []\n`)
    const out = collect()
    expect(await check({ config: file, ...out })).toBe(1)
    const text = out.lines.join('\n')
    expect(text).toContain('models.smart.targest: expected one of the known keys')
    expect(text).toContain('did you mean "targets"?')
  })

  it('reports a missing secret by name', async () => {
    const file = join(dir, 'secret.yaml')
    writeFileSync(file, `providers:\n  local:\n    package: '@modelmesh/providers-openai'\n    factory: openai\n    options: { baseURL: '${fake.baseURL}', keys: ['\${secrets:MESH_TEST_MISSING_KEY}'] }\nmodels:\n  smart: { targets: [{ provider: local, model: m }] }\n`)
    const out = collect()
    expect(await check({ config: file, ...out })).toBe(1)
    expect(out.lines.join('\n')).toMatch(/providers\.local\.keys\[0\]: expected secret "MESH_TEST_MISSING_KEY"/)
  })

  it('the built bin exits non-zero with the error', async () => {
    const file = join(dir, 'bin-bad.json')
    writeFileSync(file, JSON.stringify({ providers: {}, models: { a: { targets: [{ provider: 'x', model: 'y' }] } } }))
    const error = await run(process.execPath, [bin, 'check', '--config', file]).catch((e) => e)
    expect(error.code).toBe(1)
    expect(error.stderr).toContain('models.a.targets[0].provider')
  })
})

describe('mesh dev', () => {
  it('serves on 127.0.0.1 and reloads when the config changes', async () => {
    const file = join(dir, 'dev.config.ts')
    writeFileSync(file, tsConfig(['first']))
    const out = collect()
    const server = await dev({ config: file, port: 0, ...out })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const models = async () => ((await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id)
      expect(await models()).toEqual(['first'])
      const chat = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'first', messages: [{ role: 'user', content: 'hi' }] }) })
      expect(chat.status).toBe(200)

      writeFileSync(file, tsConfig(['second', 'third']))
      const deadline = Date.now() + 10_000
      let seen = await models()
      while (seen[0] !== 'second' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        seen = await models()
      }
      expect(seen).toEqual(['second', 'third'])

      // A broken edit keeps the previous config serving.
      writeFileSync(file, tsConfig(['second']).replace("provider: 'local'", "provider: 'nope'"))
      const until = Date.now() + 10_000
      while (!out.lines.some((l) => l.includes('config not reloaded')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
      expect(out.lines.join('\n')).toMatch(/config not reloaded[\s\S]*models\.second\.targets\[0\]\.provider/)
      expect(await models()).toEqual(['second', 'third'])
    } finally {
      await server.close()
    }
  })
})
