import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

// The README's first command ends in `node scripts/demo.mjs` (after install and build): it must
// start a gateway on the example config that answers offline, through the testkit's fake upstream.
describe('npm run demo', () => {
  it('starts the fake upstream and a gateway on 127.0.0.1 that answers a chat completion', async () => {
    const [port, fakePort] = [await freePort(), await freePort()]
    const child = spawn(process.execPath, ['scripts/demo.mjs'], { cwd: root, env: { ...process.env, MESH_PORT: String(port), MESH_FAKE_PORT: String(fakePort), OPENAI_API_KEY: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    try {
      const deadline = Date.now() + 20_000
      let response: Response | undefined
      while (Date.now() < deadline) {
        response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello' }] }),
        }).catch(() => undefined)
        if (response?.ok) break
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(response?.status, output).toBe(200)
      const body = (await response!.json()) as { choices: Array<{ message: { content: string } }> }
      expect(body.choices[0]!.message.content).toBe('You said: Hello')
      expect(output).toContain(`ModelMesh listening on http://127.0.0.1:${port}/v1`)
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
  }, 30_000)
})
