import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError, instantiateConfig, parseConfigText, validateConfig, type MeshConfig } from '@modelmesh/core'
import { createJiti } from 'jiti'
import { takeTransformBridge } from './transform-worker.js'

export const CONFIG_FILES = ['mesh.config.ts', 'mesh.config.mts', 'mesh.config.js', 'mesh.config.mjs', 'mesh.config.yaml', 'mesh.config.yml', 'mesh.config.json']

/** The config file to use: the one given, or the first `mesh.config.*` in `cwd`. */
export function findConfigFile(given: string | undefined, cwd = process.cwd()): string {
  if (given) {
    const path = resolve(cwd, given)
    if (!existsSync(path)) throw new ConfigError([{ path: '', expected: 'a config file', found: `no file at ${path}` }])
    return path
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name)
    if (existsSync(path)) return path
  }
  throw new ConfigError([{ path: '', expected: `one of ${CONFIG_FILES.join(', ')} in ${cwd}`, found: 'none', hint: 'create one with `npm create mesh`, or pass --config' }])
}

/**
 * Load a config file. TypeScript runs through jiti (no build step on Node 20); YAML and JSON are
 * validated against the schema and their plugins imported by package name, resolved from the
 * config file's folder. `fresh` bypasses the module cache so `mesh dev` sees edits.
 */
export async function loadConfig(path: string, options: { fresh?: boolean } = {}): Promise<MeshConfig> {
  // jiti's transformer runs in a worker thread that ends once the config is imported (see
  // transform-worker.ts): a long-running gateway does not keep Babel in its heap.
  const bridge = takeTransformBridge()
  try {
    const jiti = createJiti(pathToFileURL(path).href, { moduleCache: !options.fresh, fsCache: false, transform: bridge.transform })
    if (/\.(ya?ml|json)$/.test(path)) {
      const text = await readFile(path, 'utf8')
      const json = parseConfigText(text, path.endsWith('.json') ? 'json' : 'yaml', path)
      return await instantiateConfig(json, (pkg) => jiti.import(pkg), path)
    }
    const mod = await jiti.import<{ default?: unknown }>(path)
    const config = (mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod) as MeshConfig
    validateConfig(config, path)
    return config
  } finally {
    bridge.close()
  }
}
