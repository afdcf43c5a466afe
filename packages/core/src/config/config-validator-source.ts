import { Ajv } from 'ajv'
import standaloneCode from 'ajv/dist/standalone/index.js'
import { MeshConfigSchema } from './schema.js'

/** The ajv options of the config validator: every error, with the schema that failed (for the issues). */
export const CONFIG_AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const

const HEADER = `// @ts-nocheck
// GENERATED from MeshConfigSchema (schema.ts) by ajv's standalone code — do not edit.
// Regenerate: MESH_UPDATE_GENERATED=1 npx vitest run --project core config-validator
// Compiling the schema with ajv at start-up took ~300 ms and several MB of heap; this is the same code.
`

/**
 * The source of `config-validator.generated.ts`: the config validator compiled by ajv ahead of time
 * (standalone code), as an ES module. Build-time only (tests regenerate and compare it); the runtime
 * imports the generated file and never compiles the schema.
 */
export function configValidatorSource(): string {
  const ajv = new Ajv({ ...CONFIG_AJV_OPTIONS, code: { source: true, esm: true } })
  const validate = ajv.compile(MeshConfigSchema)
  const generate = ((standaloneCode as unknown as { default?: typeof standaloneCode }).default ?? standaloneCode) as unknown as (ajv: Ajv, validate: unknown) => string
  let code = generate(ajv, validate)
  // ajv's ESM output still `require`s its runtime helpers: import them instead.
  const helpers: string[] = []
  code = code.replace(/const (\w+) = require\("(ajv\/dist\/runtime\/\w+)"\)\.default;/g, (_, name: string, path: string) => {
    // Node gives a CommonJS module's exports object as the default import; bundlers may unwrap it.
    helpers.push(`import ${name}Module from '${path}.js'\nconst ${name} = ${name}Module.default ?? ${name}Module`)
    return ''
  })
  if (/require\(/.test(code)) throw new Error('unexpected require() in the standalone config validator')
  return `${HEADER}${helpers.join('\n')}\n${code.replace(/^"use strict";/, '')}\n`
}
