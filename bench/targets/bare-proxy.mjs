// The bare proxy: what Node itself can do. node:http in (or h2c with --h2c, for the many-streams
// reference), an undici keep-alive Pool out; the (small) request body is read whole before it is
// sent, as a gateway must to route on it, and the answer's body is piped. Until the third session of
// 2026-12-03 the request body was piped too: then ~4 KB per request outlived two scavenges (undici
// streaming the incoming request), and the proxy paused 7-14 ms for a scavenge every ~330 ms at
// 1,000 req/s, which made its p99 a measure of that (bench/README).
// Usage: node bare-proxy.mjs <port> <upstream origin> [--h2c]. Prints `ready <port>`.
import { createServer } from 'node:http'
import { createServer as createH2cServer } from 'node:http2'
import { pipeline } from 'node:stream'
import { Pool } from 'undici'

const [port, origin] = [Number(process.argv[2] ?? 0), process.argv[3] ?? 'http://127.0.0.1:4010']
const h2c = process.argv.includes('--h2c')
const pool = new Pool(origin, { connections: null, pipelining: 1, keepAliveTimeout: 60_000 })
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host'])

function forward(req, res, headers, body, retries) {
  pool.request({ method: req.method, path: req.url, headers, body }, (error, answer) => {
    // h2c mode retries a refused upstream connection, like ModelMesh's `retry.attempts`: 10,000
    // streams opened in a few seconds overflow the fake's backlog.
    if (error && retries > 0) return forward(req, res, headers, body, retries - 1)
    if (error) return res.writeHead(502).end(String(error.message))
    const out = {}
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value
    res.writeHead(answer.statusCode, out)
    pipeline(answer.body, res, () => {})
  })
}

const handler = (req, res) => {
  const headers = {}
  for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name) && name[0] !== ':') headers[name] = value
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => forward(req, res, headers, Buffer.concat(chunks), h2c ? 2 : 0))
}
const server = h2c ? createH2cServer(handler) : createServer(handler)
if (!h2c) server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`))
process.once('SIGTERM', () => process.exit(0))
