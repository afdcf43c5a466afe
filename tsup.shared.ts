import { defineConfig, type Options } from 'tsup'

/** The build every package shares: ESM for Node 20 with type declarations and source maps. */
export function packageBuild(entries: string[], extra: Options = {}) {
  return defineConfig({
    entry: entries.map((e) => `src/${e}.ts`),
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...extra,
  })
}
