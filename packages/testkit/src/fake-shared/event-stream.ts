import type { ServerResponse } from 'node:http'
import { delay, destroyConnection, write } from './http-io.js'
import type { Behavior } from './types.js'

/**
 * Writes framed SSE events, then `trailer`, with the behavior's stream faults: `malformedEvent`
 * inserted mid-way through `events` when `malformed`, the socket destroyed after `disconnectAfterChunks` events, `chunkDelayMs`
 * between events. Stops quietly when the client leaves.
 */
export async function writeEventStream(
  res: ServerResponse,
  events: string[],
  behavior: Behavior,
  status: number,
  headers: Record<string, string>,
  signal: AbortSignal,
  malformedEvent: string,
  trailer: readonly string[] = [],
): Promise<void> {
  const all = [...events]
  // Mid-way, but after the first event, so a gateway has committed to the stream before it breaks.
  if (behavior.malformed) all.splice(Math.max(1, Math.floor(all.length / 2)), 0, malformedEvent)
  all.push(...trailer)
  res.writeHead(status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers })
  res.flushHeaders()
  const cutAfter = behavior.disconnectAfterChunks
  for (let index = 0; index < all.length; index++) {
    if (cutAfter !== undefined && index >= cutAfter) {
      destroyConnection(res)
      return
    }
    if (index > 0 && behavior.chunkDelayMs && !(await delay(behavior.chunkDelayMs, signal))) return
    if (!(await write(res, all[index] as string, signal))) return
  }
  res.end()
}
