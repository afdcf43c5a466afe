// `npm run demo`: the testkit's fake OpenAI upstream plus `mesh dev` on the quickstart config.
// Both bind to 127.0.0.1 only. Ctrl-C stops both.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const upstreamPort = process.env.MESH_FAKE_PORT ?? '4010'
const env = { ...process.env, MESH_FAKE_UPSTREAM: `http://127.0.0.1:${upstreamPort}/v1` }

const children = [
  spawn(process.execPath, ['packages/testkit/dist/bin.js', '--port', upstreamPort], { cwd: root, env, stdio: 'inherit' }),
  spawn(process.execPath, ['packages/cli/dist/bin.js', 'dev', '--config', 'examples/quickstart/mesh.config.ts'], { cwd: root, env, stdio: 'inherit' }),
]

const port = process.env.MESH_PORT ?? '4000'
setTimeout(() => {
  console.log(`
Try it:
  curl http://127.0.0.1:${port}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"smart","messages":[{"role":"user","content":"Hello"}]}'
  curl -N http://127.0.0.1:${port}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"smart","stream":true,"messages":[{"role":"user","content":"Hello"}]}'
Edit examples/quickstart/mesh.config.ts and the gateway reloads. Ctrl-C stops.`)
}, 1500).unref()

let stopping = false
const stop = (code = 0) => {
  if (stopping) return
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 500).unref()
}
for (const child of children) child.on('exit', (code) => stop(code ?? 0))
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))
