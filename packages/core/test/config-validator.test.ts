import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
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
