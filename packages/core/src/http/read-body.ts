import type { Context } from 'hono'
import { GatewayError } from '../errors/gateway-error.js'

/** What the body reader uses of a Node request (`http.IncomingMessage`, `http2.Http2ServerRequest`). */
interface NodeIncoming {
  readonly headers: Record<string, string | string[] | undefined>
  on(event: string, listener: (...args: never[]) => void): unknown
  removeListener(event: string, listener: (...args: never[]) => void): unknown
  resume(): unknown
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError({ status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `The request body is larger than the gateway's limit of ${limit} bytes.` })
}

const decoder = new TextDecoder()

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/** Decodes the chunks of a body (`size` bytes in all) as UTF-8. */
function decodeChunks(chunks: readonly Uint8Array[], size: number): string {
  if (chunks.length === 0) return ''
  if (chunks.length === 1) return decoder.decode(chunks[0])
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return decoder.decode(all)
}

/** Joins the chunks of a body and decodes it as UTF-8, at most `limit` bytes (413 beyond). */
async function readChunks(source: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.byteLength
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  return decodeChunks(chunks, size)
}

/**
 * A Node request's body through its `data`/`end` events: `for await` over a Readable costs an async
 * generator, a promise per chunk and the end-of-stream watcher, a visible share of a small proxied
 * request (bench/README). Past the limit it answers 413 at once and discards the rest of the body,
 * so the connection stays usable for that answer.
 */
function readEvents(incoming: NodeIncoming, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const onData = (chunk: Uint8Array) => {
      size += chunk.byteLength
      if (size > limit) {
        stop()
        incoming.resume()
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      resolve(decodeChunks(chunks, size))
    }
    const onError = (error: Error) => {
      stop()
      reject(error)
    }
    const onClose = () => {
      stop()
      reject(new GatewayError({ status: 400, type: 'invalid_request_error', code: 'incomplete_body', message: 'The connection closed before the request body was complete.' }))
    }
    const stop = () => {
      incoming.removeListener('data', onData)
      incoming.removeListener('end', onEnd)
      incoming.removeListener('error', onError)
      incoming.removeListener('close', onClose)
    }
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', onError)
    incoming.on('close', onClose)
  })
}

/** A Node request's body as text, at most `limit` bytes (413 on the declared length, and while reading). */
export function readIncoming(incoming: NodeIncoming, limit: number): Promise<string> {
  const declared = Number(incoming.headers['content-length'])
  if (declared > limit) return Promise.reject(tooLarge(limit))
  return readEvents(incoming, limit)
}

/**
 * The request body as text, at most `limit` bytes (413 beyond, checked on the declared length and
 * while reading). Under @hono/node-server it reads the Node request directly: building the web
 * `Request` body stream costs a noticeable share of a proxied request (measured in bench/).
 */
export async function readBody(c: Context, limit: number): Promise<string> {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming
  if (incoming) return readIncoming(incoming, limit)
  if (Number(c.req.header('content-length')) > limit) throw tooLarge(limit)
  const web = c.req.raw.body
  return web ? readChunks(chunksOf(web), limit) : ''
}
