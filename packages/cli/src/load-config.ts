import { existsSync } from 'node:fs'
import { access, constants, mkdir, readFile, rm, rmdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError, instantiateConfig, parseConfigText, validateConfig, type MeshConfig } from '@modelmesh/core'

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
 * Load a config file. YAML and JSON are validated against the schema and their plugins imported by
 * package name, resolved from the config file's folder (through jiti). A TypeScript or JavaScript
 * config is bundled by esbuild — its own files only, packages stay imports — into `.mesh/` next to it,
 * and that file is imported natively, then deleted. esbuild runs as a separate process (stopped once
 * the config is built), so the gateway starts no thread and keeps no transformer in its heap. Every
 * load writes a new file, so `mesh dev` always sees edits (`fresh` is kept for the API).
 */
export async function loadConfig(path: string, _options: { fresh?: boolean } = {}): Promise<MeshConfig> {
  if (/\.(ya?ml|json)$/.test(path)) {
    const text = await readFile(path, 'utf8')
    const json = parseConfigText(text, path.endsWith('.json') ? 'json' : 'yaml', path)
    const { createJiti } = await import('jiti')
    const jiti = createJiti(pathToFileURL(path).href, { moduleCache: false, fsCache: false })
    return await instantiateConfig(json, (pkg) => jiti.import(pkg), path)
  }
  const mod = await importScript(path)
  const config = (mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod) as MeshConfig
  validateConfig(config, path)
  return config
}

let loads = 0

interface EsbuildMessage {
  text: string
  location?: { file: string; line: number; column: number } | null
}

/** Bundle a `.ts`/`.mts`/`.js`/`.mjs` config (packages external) next to it and import the result. */
async function importScript(path: string): Promise<Record<string, unknown>> {
  const folder = join(dirname(path), '.mesh')
  const out = join(folder, `${basename(path).replace(/\.[cm]?[jt]s$/, '')}.${process.pid}-${++loads}-${Date.now().toString(36)}.mjs`)
  const url = pathToFileURL(path).href
  const writable = await mkdir(folder, { recursive: true }).then(() => access(folder, constants.W_OK)).then(() => true, () => false)
  if (!writable) {
    // A config in a folder this process cannot write to: let jiti transform it in this thread.
    const { createJiti } = await import('jiti')
    return createJiti(url, { moduleCache: false, fsCache: false }).import<Record<string, unknown>>(path)
  }
  // Loaded with `require` and dropped from its cache afterwards, so its code can be collected.
  const require = createRequire(import.meta.url)
  const esbuildPath = require.resolve('esbuild')
  const esbuild = require(esbuildPath) as typeof import('esbuild')
  try {
    await esbuild.build({
      entryPoints: [path],
      outfile: out,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: true,
      logLevel: 'silent',
      // What jiti provided: the config's own location (the bundle lives in .mesh/).
      define: {
        __filename: JSON.stringify(path),
        __dirname: JSON.stringify(dirname(path)),
        'import.meta.url': JSON.stringify(url),
        'import.meta.filename': JSON.stringify(path),
        'import.meta.dirname': JSON.stringify(dirname(path)),
      },
    })
  } catch (error) {
    const first = ((error as { errors?: EsbuildMessage[] }).errors ?? [])[0]
    if (!first) throw error
    const where = first.location ? ` \n ${resolve(first.location.file)}:${first.location.line}:${first.location.column}` : ''
    throw new SyntaxError(`${first.text}${where}`)
  } finally {
    // The esbuild service is a child process: end it, nothing of it stays.
    await esbuild.stop()
    delete require.cache[esbuildPath]
  }
  try {
    return (await import(/* @vite-ignore */ pathToFileURL(out).href)) as Record<string, unknown>
  } finally {
    await rm(out, { force: true })
    await rmdir(folder).catch(() => {})
  }
}
