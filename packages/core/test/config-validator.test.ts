import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { configValidatorSource } from '../src/config/config-validator-source.js'

const GENERATED = fileURLToPath(new URL('../src/config/config-validator.generated.ts', import.meta.url))

describe('precompiled config validator', () => {
  it('is up to date with MeshConfigSchema (MESH_UPDATE_GENERATED=1 rewrites it)', () => {
    const source = configValidatorSource()
    if (process.env.MESH_UPDATE_GENERATED) writeFileSync(GENERATED, source)
    expect(readFileSync(GENERATED, 'utf8') === source, 'src/config/config-validator.generated.ts is stale: run MESH_UPDATE_GENERATED=1 npx vitest run --project core config-validator').toBe(true)
  })
})
