import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { GENERATED_VALIDATORS } from '../src/config/config-validator-source.js'

describe('precompiled ajv validators (ajv standalone code)', () => {
  it.each(GENERATED_VALIDATORS.map((v) => [v.file, v] as const))('src/%s is up to date with its schema (MESH_UPDATE_GENERATED=1 rewrites it)', (file, { source }) => {
    const path = fileURLToPath(new URL(`../src/${file}`, import.meta.url))
    const expected = source()
    if (process.env.MESH_UPDATE_GENERATED) writeFileSync(path, expected)
    let actual: string | undefined
    try {
      actual = readFileSync(path, 'utf8')
    } catch {
      actual = undefined
    }
    expect(actual === expected, `src/${file} is stale: run MESH_UPDATE_GENERATED=1 npx vitest run --project core config-validator`).toBe(true)
  })
})

// V8 optimises no function of more than 60 KiB of bytecode (max_optimized_bytecode_size): a request
// validator above it runs unoptimised on every request (the Chat Completions one did, at 65 KiB:
// 2.9 µs per parse instead of 1.3). Each request validator's functions are compiled in a child node
// (which prints their bytecode) on a valid body that reaches every nested validator.
describe('request validators stay small enough for V8 to optimise', () => {
  const bodies: Record<string, unknown> = {
    'dialects/openai-chat/request-validator.generated.ts': { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] },
    'dialects/anthropic-messages/request-validator.generated.ts': { model: 'm', max_tokens: 5, system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
  }
  it.each(Object.keys(bodies))('src/%s: every function under 60 KiB of bytecode', (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-validator-'))
    try {
      const resolveFromCore = createRequire(fileURLToPath(new URL('../package.json', import.meta.url)))
      // The generated module is plain JS; its ajv runtime imports resolve from packages/core.
      const source = readFileSync(fileURLToPath(new URL(`../src/${file}`, import.meta.url)), 'utf8').replace(/from '(ajv\/dist\/runtime\/[\w.]+)'/g, (_, path: string) => `from '${pathToFileURL(resolveFromCore.resolve(path)).href}'`)
      writeFileSync(join(dir, 'validator.mjs'), source)
      writeFileSync(join(dir, 'run.mjs'), `import { validate } from './validator.mjs'\nif (!validate(${JSON.stringify(bodies[file])})) throw new Error(JSON.stringify(validate.errors))\n`)
      const child = spawnSync(process.execPath, ['--print-bytecode', '--print-bytecode-filter=validate*', join(dir, 'run.mjs')], { encoding: 'utf8', maxBuffer: 512 * 2 ** 20 })
      expect(child.status, child.stderr).toBe(0)
      const lengths = [...child.stdout.matchAll(/Bytecode length: (\d+)/g)].map((m) => Number(m[1]))
      expect(lengths.length).toBeGreaterThan(0)
      expect(Math.max(...lengths)).toBeLessThan(60 * 1024)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

