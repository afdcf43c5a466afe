import type { IncomingMessage, ServerResponse } from 'node:http'

/** Requests larger than this are refused with 413, so a runaway client cannot exhaust memory. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

export class BodyTooLargeError extends Error {}

/** Reads the whole request body as UTF-8, bounded by {@link MAX_BODY_BYTES}. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume()
        reject(new BodyTooLargeError(`request body exceeds ${MAX_BODY_BYTES} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the connection before sending the whole body'))
    })
  })
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts; returns whether the full time elapsed.
 * The timer is cleared on abort, so a closed fake leaves no timers behind.
 */
export function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  if (ms <= 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Resolves when `signal` aborts (client gone or fake closed). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/** Writes and waits until the data is handed to the OS (or the connection is gone). */
export function write(res: ServerResponse, data: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false)
    signal.addEventListener('abort', onAbort, { once: true })
    res.write(data, (error) => {
      signal.removeEventListener('abort', onAbort)
      resolve(!error)
    })
  })
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

/** Destroys the connection under a response: the client sees a reset, not an HTTP answer. */
export function destroyConnection(res: ServerResponse): void {
  res.socket?.destroy()
  res.destroy()
}
