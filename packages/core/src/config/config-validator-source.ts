import { Ajv, type Options } from 'ajv'
import standaloneCode from 'ajv/dist/standalone/index.js'
import { anthropicMessagesRequestSchema } from '../dialects/anthropic-messages/schema.js'
import { openAIChatRequestSchema } from '../dialects/openai-chat/schema.js'
import { ProviderPreferences } from '../engine/request-routing.js'
import { MeshConfigSchema } from './schema.js'

/** The ajv options of the config validator: every error, with the schema that failed (for the issues). */
export const CONFIG_AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const

/** The ajv options of the request validators (ingress bodies, `provider` preferences): the first error only. */
export const REQUEST_AJV_OPTIONS = { allErrors: false, strict: false } as const

const REGENERATE = 'MESH_UPDATE_GENERATED=1 npx vitest run --project core config-validator'

/**
 * An ES module exporting `schema` compiled by ajv ahead of time (standalone code) with `options`:
 * `validate` (also the default export) is the function `new Ajv(options).compile(schema)` returns —
 * the same checks, the same `errors` objects and messages — without loading ajv or compiling at run time.
 * `from` names the schema in the file's header. Build-time only: tests regenerate and compare the files.
 */
export function standaloneValidatorSource(schema: object, options: Options, from: string, split: Readonly<Record<string, string>> = {}): string {
  const names = Object.keys(split)
  const ajv = new Ajv({ ...options, ...(names.length ? { inlineRefs: false } : {}), code: { ...options.code, source: true, esm: true } })
  const validate = ajv.compile(names.length ? withDefs(schema, split) : schema)
  const generate = ((standaloneCode as unknown as { default?: typeof standaloneCode }).default ?? standaloneCode) as unknown as (ajv: Ajv, validate: unknown) => string
  const header = `// @ts-nocheck
// GENERATED from ${from} by ajv's standalone code (options ${JSON.stringify(options)}) — do not edit.
// Regenerate: ${REGENERATE}
// Compiling the schema with ajv at start-up cost time and heap (and loaded ajv); this is the same code.
`
  return `${header}${esmImports(generate(ajv, validate))}\n`
}

/**
 * `schema` with the subschemas at the given JSON pointers moved into `$defs` (by name) and referred to
 * with `$ref`: compiled with `inlineRefs: false`, each becomes a function of its own. V8's optimising
 * compiler skips functions of more than 60 KiB of bytecode, and ajv's one function for the whole
 * Chat Completions body was 65 KiB: it ran unoptimised on every request (bench/README). Same checks,
 * same `instancePath`s and messages; only the errors' `schemaPath` names the `$defs` entry.
 */
function withDefs(schema: object, split: Readonly<Record<string, string>>): object {
  const copy = structuredClone(schema) as Record<string, unknown>
  const defs: Record<string, unknown> = { ...(copy.$defs as Record<string, unknown> | undefined) }
  for (const [name, pointer] of Object.entries(split)) {
    const segments = pointer.split('/').slice(1)
    const last = segments.pop()!
    const parent = segments.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, copy)
    if (!parent || typeof parent[last] !== 'object') throw new Error(`no subschema at ${pointer}`)
    defs[name] = parent[last]
    parent[last] = { $ref: `#/$defs/${name}` }
  }
  copy.$defs = defs
  return copy
}

/**
 * ajv's ESM standalone output still `require`s its runtime helpers (`ucs2length`, `equal`, `uri`, …):
 * import them instead. The one place that rewrites require → import.
 */
function esmImports(code: string): string {
  const helpers: string[] = []
  code = code.replace(/const (\w+) = require\("(ajv\/dist\/runtime\/\w+)"\)\.default;/g, (_, name: string, path: string) => {
    // Node gives a CommonJS module's exports object as the default import; bundlers may unwrap it.
    helpers.push(`import ${name}Module from '${path}.js'\nconst ${name} = ${name}Module.default ?? ${name}Module`)
    return ''
  })
  if (/require\(/.test(code)) throw new Error('unexpected require() in ajv standalone code')
  return `${helpers.join('\n')}\n${code.replace(/^"use strict";/, '')}`
}

/** The source of `config-validator.generated.ts` (MeshConfigSchema). */
export function configValidatorSource(): string {
  return standaloneValidatorSource(MeshConfigSchema, CONFIG_AJV_OPTIONS, 'MeshConfigSchema (config/schema.ts)')
}

/**
 * Every precompiled validator: its file (relative to `packages/core/src`) and its source. The staleness
 * test (test/config-validator.test.ts) checks all of them.
 */
export const GENERATED_VALIDATORS: ReadonlyArray<{ readonly file: string; readonly source: () => string }> = [
  { file: 'config/config-validator.generated.ts', source: configValidatorSource },
  {
    file: 'dialects/openai-chat/request-validator.generated.ts',
    // One message's checks in a function of their own: together they are too big for V8 to optimise.
    source: () => standaloneValidatorSource(openAIChatRequestSchema, REQUEST_AJV_OPTIONS, 'openAIChatRequestSchema (dialects/openai-chat/schema.ts)', { message: '/properties/messages/items' }),
  },
  {
    file: 'dialects/anthropic-messages/request-validator.generated.ts',
    source: () => standaloneValidatorSource(anthropicMessagesRequestSchema, REQUEST_AJV_OPTIONS, 'anthropicMessagesRequestSchema (dialects/anthropic-messages/schema.ts)'),
  },
  {
    file: 'engine/provider-preferences-validator.generated.ts',
    source: () => standaloneValidatorSource(ProviderPreferences, { strict: false }, 'ProviderPreferences (engine/request-routing.ts)'),
  },
]
