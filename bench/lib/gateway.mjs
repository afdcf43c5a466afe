// One ModelMesh gateway (`mesh start`) against a running fake upstream, ready to serve: used by the
// side tools (ab.mjs, profile.mjs, syscalls.mjs). A config named *full* gets an account, credits and
// a virtual key through the admin API first.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { chatBody, freePort, spawnChild, waitForReady, waitUntilServing } from './procs.mjs'
import { httpAdmin, provision } from './provision.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * Starts `mesh start --config <root>/bench/targets/<config>` with `nodeArgs` before the CLI, its
 * SQLite file at `dbPath` and `env` added to its environment, and waits until a chat completion
 * answers 200.
 * @returns the child process, the chat URL and the headers a request needs (the key, for full)
 */
export async function startGateway({ config, fakePort, dbPath, root = ROOT, nodeArgs = [], env = {}, provisionKey = config.includes('full') }) {
  const port = await freePort()
  const child = spawnChild(`mesh ${config}`, process.execPath, [...nodeArgs, join(root, 'packages/cli/dist/bin.js'), 'start', '--config', join(root, 'bench/targets', config), '--port', String(port)], {
    env: { ...env, BENCH_UPSTREAM: `http://127.0.0.1:${fakePort}/v1`, BENCH_DB: dbPath },
  })
  const origin = `http://127.0.0.1:${port}`
  await waitForReady(origin)
  const headers = provisionKey ? { authorization: `Bearer ${await provision(httpAdmin(origin, request))}` } : {}
  const url = `${origin}/v1/chat/completions`
  await waitUntilServing(url, chatBody(), headers)
  return { child, url, headers }
}
