import { Type, type Static } from '@sinclair/typebox'

/**
 * How to re-create a plugin instance from plain JSON: the package, its exported factory and the
 * options it was called with (secrets as references). The IR stores descriptors, so a compile step
 * can emit `import { factory } from 'package'; factory(options)`.
 */
export const PluginDescriptor = Type.Object({
  package: Type.String(),
  factory: Type.String(),
  options: Type.Unknown(),
})
export type PluginDescriptor = Static<typeof PluginDescriptor>
