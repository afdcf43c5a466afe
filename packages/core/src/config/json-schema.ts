import { MeshConfigSchema } from './schema.js'

/**
 * The config schema as plain JSON Schema (draft 2020-12 compatible), for editors validating
 * `mesh.config.yaml` / `.json`. Generated into `schema/mesh.config.schema.json`.
 */
export function configJsonSchema(): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol-keyed metadata.
  const schema = JSON.parse(JSON.stringify(MeshConfigSchema)) as Record<string, unknown>
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema }
}
