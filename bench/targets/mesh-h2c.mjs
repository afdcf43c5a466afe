// ModelMesh serving HTTP/2 over cleartext (h2c) — used only by the 10,000-stream scenario.
// Why: the machine's hard limit is 20,000 open files per process, and 10,000 HTTP/1.1 streams through
// one gateway need 10,000 client sockets + 10,000 upstream sockets + the process's own files. Over h2c
// the 10,000 client streams share a few dozen connections; upstream stays HTTP/1.1, one socket each.
// Same code path as `mesh start` otherwise: loadConfig (jiti) + createMesh + mesh.node.
// Usage: node mesh-h2c.mjs <config file> <port> [--provision]. Prints `ready <port>` (and `key <key>`
// after creating an account, credits and a virtual key in process when --provision is given).
// The process is tuned at start as `mesh start` tunes it (docs/embedding.md), so its memory matches.
import http2 from 'node:http2'
import { baselineWasm, loadConfig, tuneStartUpHeap } from '@modelmesh/cli'
import { ADMIN_KEY, provision } from '../lib/provision.mjs'

const heap = tuneStartUpHeap()
baselineWasm()
const { createMesh } = await import('@modelmesh/core')
const [configPath, port] = [process.argv[2], Number(process.argv[3] ?? 0)]
const mesh = createMesh(await loadConfig(configPath))
await mesh.ready
heap.restore()
if (process.argv.includes('--provision')) {
  const key = await provision(async (path, body) => {
    const request = new Request(`http://127.0.0.1/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const response = await mesh.fetch(request)
    if (response.status >= 300) throw new Error(`admin ${path}: ${response.status} ${await response.text()}`)
    return response.json()
  })
  console.log(`key ${key}`)
}
const server = http2.createServer(mesh.node)
server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`))
server.on('error', (error) => {
  console.error(error)
  process.exit(1)
})
process.once('SIGTERM', () => process.exit(0))
