// Writes schema/mesh.config.schema.json from the TypeBox definitions in @modelmesh/core.
// Run after `pnpm build` (it imports the built package). A test fails when the committed file is stale.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configJsonSchema } from '../packages/core/dist/index.js'

const target = fileURLToPath(new URL('../schema/mesh.config.schema.json', import.meta.url))
writeFileSync(target, JSON.stringify(configJsonSchema(), null, 2) + '\n')
console.log(`wrote ${target}`)
