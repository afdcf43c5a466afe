import { subscribe, unsubscribe } from 'node:diagnostics_channel'

/**
 * Records the origin of every outgoing HTTP request made in this process — through `fetch`/undici
 * and through `node:http` — via Node's diagnostics channels, so a suite can prove a provider only
 * talks to its own upstream.
 */
export interface HostGuard {
  readonly origins: string[]
  stop(): void
}

const UNDICI_CHANNEL = 'undici:request:create'
const HTTP_CHANNEL = 'http.client.request.start'

export function watchOutgoingRequests(): HostGuard {
  const origins: string[] = []
  const onUndici = (message: unknown): void => {
    const request = (message as { request?: { origin?: unknown; path?: unknown } }).request
    if (request) origins.push(String(request.origin))
  }
  const onHttp = (message: unknown): void => {
    const request = (message as { request?: { protocol?: string; host?: string; getHeader?(name: string): unknown } }).request
    if (!request) return
    const host = request.getHeader?.('host') ?? request.host
    origins.push(`${request.protocol ?? 'http:'}//${String(host)}`)
  }
  subscribe(UNDICI_CHANNEL, onUndici)
  subscribe(HTTP_CHANNEL, onHttp)
  return {
    origins,
    stop() {
      unsubscribe(UNDICI_CHANNEL, onUndici)
      unsubscribe(HTTP_CHANNEL, onHttp)
    },
  }
}
