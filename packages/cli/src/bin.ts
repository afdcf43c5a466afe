#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { baselineWasm, quickerTierUp, serialScavengeOnSmallHosts, tuneStartUpHeap } from './start-up-heap.js'

const USAGE = `Usage: mesh <command> [options]

Commands:
  dev     serve the config and reload it when it changes
  start   serve the config
  check   validate the config and resolve its secrets; exit 1 on error
  accounts create [id] [--name n]
  keys create --account <id> [--project p] [--name n] [--models a,b] [--scopes chat] [--rpm n] [--tpm n]
              [--daily-cap usd] [--monthly-cap usd] [--expires-in 30d] [--test]
  keys list [--account id] | keys rotate <keyId> [--grace 24h] | keys revoke <keyId>
  credits grant --account <id> --amount <usd> [--note text]
  usage [--account id] [--key keyId] [--limit n]
  usage prune --older-than <30d> | --before <epoch ms | ISO date>   (delete usage events; never ledger entries)
  (admin commands talk to a running gateway: --url (MESH_URL), --admin-key (MESH_ADMIN_KEY))

Options:
  -c, --config <file>   config file (default: mesh.config.{ts,mts,js,mjs,yaml,yml,json})
      --host <address>  bind address (default: server.host, else 127.0.0.1)
  -p, --port <port>     port (default: server.port, else 4000)
  -h, --help            show this help`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      help: { type: 'boolean', short: 'h' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
      account: { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      models: { type: 'string' },
      scopes: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-cap': { type: 'string' },
      'monthly-cap': { type: 'string' },
      'expires-in': { type: 'string' },
      test: { type: 'boolean' },
      grace: { type: 'string' },
      amount: { type: 'string' },
      note: { type: 'string' },
      key: { type: 'string' },
      limit: { type: 'string' },
      'older-than': { type: 'string' },
      before: { type: 'string' },
    },
  })
  const [command] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return values.help ? 0 : 1
  }
  const port = values.port === undefined ? undefined : Number(values.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`--port: expected an integer from 0 to 65535, found "${values.port}"`)
    return 1
  }
  const options = { ...(values.config ? { config: values.config } : {}), ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) }
  if (['keys', 'credits', 'usage', 'accounts'].includes(command)) {
    const { adminCommand } = await import('./admin-commands.js')
    const flags = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === true ? 'true' : typeof v === 'string' ? v : undefined]))
    return adminCommand(positionals, flags, { ...(values.url ? { url: values.url } : {}), ...(values['admin-key'] ? { adminKey: values['admin-key'] } : {}) })
  }
  if (command !== 'dev' && command !== 'start' && command !== 'check') {
    console.error(`Unknown command "${command}".\n\n${USAGE}`)
    return 1
  }
  // `check` exits right away: only a long-running gateway benefits from a small idle heap.
  const heap = command === 'check' ? { restore() {} } : tuneStartUpHeap()
  if (command !== 'check') baselineWasm()
  const { check, dev, start } = await import('./commands.js')
  if (command === 'check') return check(options)
  try {
    const server = command === 'dev' ? await dev(options) : await start(options)
    heap.restore()
    quickerTierUp()
    serialScavengeOnSmallHosts()
    const stop = () => {
      void server.close().then(() => process.exit(0))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return -1
  } catch (error) {
    console.error((error as Error).message)
    return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (error) => {
    console.error(error)
    process.exitCode = 1
  },
)
