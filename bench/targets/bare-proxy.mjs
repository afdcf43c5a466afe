// The bare proxy: what Node itself can do. node:http in, an undici keep-alive Pool out, bodies piped.
// Usage: node bare-proxy.mjs <port> <upstream origin>. Prints `ready <port>`.
import { createServer } from 'node:http'
import { pipeline } from 'node:stream'
import { Pool } from 'undici'

const [port, origin] = [Number(process.argv[2] ?? 0), process.argv[3] ?? 'http://127.0.0.1:4010']
const pool = new Pool(origin, { connections: null, pipelining: 1, keepAliveTimeout: 60_000 })
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host'])

const server = createServer((req, res) => {
  const headers = {}
  for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value
  pool.request({ method: req.method, path: req.url, headers, body: req }, (error, answer) => {
    if (error) return res.writeHead(502).end(String(error.message))
    const out = {}
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value
    res.writeHead(answer.statusCode, out)
    pipeline(answer.body, res, () => {})
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`))
process.once('SIGTERM', () => process.exit(0))
