import { watch } from 'node:fs'
import { ConfigError, createMesh } from '@modelmesh/core'
import { findConfigFile, loadConfig } from './load-config.js'
import { serveConfig, type RunningServer } from './serve.js'

export interface CommandOptions {
  config?: string
  host?: string
  port?: number
  cwd?: string
  log?: (line: string) => void
  error?: (line: string) => void
}

function describe(error: unknown): string {
  return ConfigError.isInstance(error) ? error.message : `${(error as Error).message ?? error}`
}

/** `mesh check`: validate a config and its secrets; returns the exit code. */
export async function check(options: CommandOptions): Promise<number> {
  const log = options.log ?? console.log
  const error = options.error ?? console.error
  try {
    const path = findConfigFile(options.config, options.cwd)
    const config = await loadConfig(path)
    const mesh = createMesh(config)
    await mesh.ready
    await mesh.close()
    const pools = [...mesh.table.pools.values()]
    log(`${path}: OK — ${Object.keys(config.providers).length} providers, ${pools.length} models, ${mesh.table.deployments.size} deployments`)
    return 0
  } catch (e) {
    error(describe(e))
    return 1
  }
}

/** `mesh start`: serve a config until stopped. */
export async function start(options: CommandOptions): Promise<RunningServer> {
  const path = findConfigFile(options.config, options.cwd)
  const config = await loadConfig(path)
  return serveConfig(config, { ...options, ...(options.log ? { log: options.log } : {}) })
}

/**
 * `mesh dev`: serve, and reload when the config file changes. A config that does not load is
 * reported and the previous one keeps serving.
 */
export async function dev(options: CommandOptions): Promise<RunningServer> {
  const log = options.log ?? console.log
  const error = options.error ?? console.error
  const path = findConfigFile(options.config, options.cwd)
  const server = await serveConfig(await loadConfig(path), { ...options, log })
  let timer: NodeJS.Timeout | undefined
  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        await server.swap(await loadConfig(path, { fresh: true }))
      } catch (e) {
        error(`config not reloaded, still serving the previous one:\n${describe(e)}`)
      }
    })
  }
  const watcher = watch(path, () => {
    clearTimeout(timer)
    timer = setTimeout(reload, 100)
  })
  log(`watching ${path} for changes`)
  return {
    url: server.url,
    swap: server.swap,
    async close() {
      watcher.close()
      clearTimeout(timer)
      await reloading
      await server.close()
    },
  }
}
