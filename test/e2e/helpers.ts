import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMesh, defineConfig, type Mesh, type ModelConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'

export interface Gateway {
  readonly mesh: Mesh
  readonly baseURL: string
  close(): Promise<void>
}

/** Serve a mesh on 127.0.0.1 with an ephemeral port, the way `mesh start` does. */
export async function serveMesh(mesh: Mesh): Promise<Gateway> {
  await mesh.ready
  const server: Server = await new Promise((resolve) => {
    const s = createServer(mesh.node).listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    mesh,
    baseURL: `http://127.0.0.1:${port}/v1`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await mesh.close()
    },
  }
}

/** A mesh whose providers are fake upstreams, one model pool over them in order. */
export async function meshOverFakes(count: number, pool: Partial<ModelConfig> = {}, server: { bodyLimit?: string } = {}) {
  const fakes: FakeUpstream[] = []
  for (let i = 0; i < count; i++) fakes.push(await startFakeOpenAI())
  const providers = Object.fromEntries(fakes.map((f, i) => [`up${i}`, openai({ baseURL: f.baseURL, keys: [`key-${i}`] })]))
  const config = defineConfig({
    server,
    providers,
    models: {
      smart: { targets: fakes.map((_, i) => ({ provider: `up${i}`, model: `model-${i}` })), retry: { backoff: { initial: '10ms', max: '50ms' } }, ...pool },
      backup: { targets: [{ provider: `up${count - 1}`, model: 'backup-model' }] },
    },
  })
  const mesh = createMesh(config, { onError: () => {} })
  await mesh.ready
  return {
    fakes,
    mesh,
    async close() {
      await mesh.close()
      await Promise.all(fakes.map((f) => f.close()))
    },
  }
}

export function chatBody(extra: Record<string, unknown> = {}) {
  return { model: 'smart', messages: [{ role: 'user', content: 'Hello there' }], ...extra }
}

export function post(mesh: Mesh, body: unknown, headers: Record<string, string> = {}) {
  return mesh.fetch(
    new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
}
