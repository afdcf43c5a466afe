import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMesh, type Mesh, type MeshConfig } from '@modelmesh/core'

export interface RunningServer {
  readonly url: string
  /** Replace the gateway behind the server (config reload); the old one is closed. */
  swap(config: MeshConfig): Promise<Mesh>
  close(): Promise<void>
}

export interface ServeOptions {
  host?: string
  port?: number
  log?: (line: string) => void
}

/**
 * Serve a config over node:http. The server delegates to the current gateway, so a reload swaps
 * the gateway without dropping the listening socket or requests in flight.
 */
export async function serveConfig(config: MeshConfig, options: ServeOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line) => console.log(line))
  let mesh = createMesh(config)
  await mesh.ready
  const host = options.host ?? mesh.ir.server.host
  const port = options.port ?? mesh.ir.server.port
  // The chat routes are written straight to Node's response (mesh.node); the rest goes through Hono.
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer((request, response) => mesh.node(request, response))
    s.once('error', reject)
    s.listen(port, host, () => resolve(s))
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${shownHost}:${address.port}`
  log(`ModelMesh listening on ${url}/v1 (models: ${mesh.table.publicModels.join(', ')})`)
  return {
    url,
    async swap(next) {
      const fresh = createMesh(next)
      await fresh.ready
      const old = mesh
      mesh = fresh
      await old.close()
      log(`config reloaded (models: ${fresh.table.publicModels.join(', ')})`)
      return fresh
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
      await mesh.close()
    },
  }
}
