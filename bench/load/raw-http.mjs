// A lean HTTP/1.1 client for the open-loop load generator: keep-alive sockets from `node:net`, one
// pre-encoded request written per call, answers framed by Content-Length or chunked encoding, and a
// callback per answer (no streams, promises or async iterators). The load generator shares two cores
// with the fake and the target, so every microsecond it spends is taken from what it measures; with
// undici's Pool it used 390–440 µs of CPU per request here, with this one 215–235 (bench/README
// "Third session of 2026-12-03"). It speaks only what the benchmark needs: one request at a time
// per connection (no pipelining), no 1xx answers, no body delimited by the connection's close (an
// answer without Content-Length or chunked encoding has none), no trailers kept, no redirects.
// Tested in bench/test/raw-http.test.ts.
import { connect } from 'node:net'

const CR = 0x0d
const LF = 0x0a

/**
 * The bytes of one request: `method url` with `headers` and `body` (a string); Host and
 * Content-Length are added.
 */
export function encodeRequest({ method = 'POST', url, headers = {}, body = '' }) {
  const target = new URL(url)
  const payload = Buffer.from(body)
  let head = `${method} ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n`
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (lower === 'host' || lower === 'content-length') continue
    head += `${name}: ${value}\r\n`
  }
  head += `content-length: ${payload.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), payload])
}

/**
 * What one answer gave: its status, the time (performance.now()) its body first held `data:`
 * (`firstDataAt`, with `watchData`) and its end (`endedAt`), the value of the header asked for, and
 * some of its text: `head`, the body until it held `data:` (with `watchData`) or its first
 * `keepHead` characters, and `tail`, its last 32 characters (with `keepTail`: a stream's `[DONE]`).
 */
class Answer {
  status = 0
  headerValue = undefined
  firstDataAt = undefined
  endedAt = 0
  head = ''
  tail = ''
}

/**
 * One keep-alive connection. `send(bytes, done, options)` writes a request; `done(error, answer)` is
 * called once the answer has been read whole (or the connection failed).
 */
class Connection {
  constructor(pool) {
    this.pool = pool
    this.done = undefined
    this.closed = false
    this.socket = connect({ host: pool.host, port: pool.port, noDelay: true })
    this.socket.on('data', (data) => this.onData(data))
    this.socket.on('error', (error) => this.fail(error))
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')))
  }

  send(bytes, done, options) {
    this.done = done
    this.options = options
    this.answer = new Answer()
    this.buffered = undefined // unparsed bytes of the head, or of a chunk-size line
    this.state = 0 // 0 head, 1 body by length, 2 chunk size line, 3 chunk data, 4 CRLF after a chunk, 5 trailers
    this.remaining = 0
    this.closeAfter = false
    this.socket.write(bytes)
  }

  fail(error) {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    this.pool.forget(this)
    const done = this.done
    this.done = undefined
    if (done) done(error)
  }

  onData(data) {
    if (!this.done) return // nothing asked: bytes after an answer, ignored
    let at = 0
    if (this.state === 0) {
      const bytes = this.buffered ? Buffer.concat([this.buffered, data]) : data
      const end = bytes.indexOf('\r\n\r\n', 0, 'latin1')
      if (end < 0) {
        this.buffered = bytes
        return
      }
      this.buffered = undefined
      this.readHead(bytes.latin1Slice(0, end))
      data = bytes
      at = end + 4
      if (this.state === 1 && this.remaining === 0) return this.finish()
    }
    while (at < data.length) {
      if (this.state === 1) {
        const take = Math.min(this.remaining, data.length - at)
        this.body(data, at, at + take)
        at += take
        this.remaining -= take
        if (this.remaining === 0) return this.finish()
      } else if (this.state === 3) {
        const take = Math.min(this.remaining, data.length - at)
        this.body(data, at, at + take)
        at += take
        this.remaining -= take
        if (this.remaining === 0) this.state = 4
      } else if (this.state === 4) {
        // the CRLF that ends a chunk's data (it may arrive split)
        if (data[at] === LF) this.state = 2
        at++
      } else {
        // a chunk-size line (2) or a trailer line (5): up to the next LF
        const lf = data.indexOf(LF, at)
        if (lf < 0) {
          this.buffered = this.buffered ? Buffer.concat([this.buffered, data.subarray(at)]) : data.subarray(at)
          return
        }
        let line = data.latin1Slice(at, lf)
        if (this.buffered) {
          line = this.buffered.latin1Slice() + line
          this.buffered = undefined
        }
        at = lf + 1
        if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1)
        if (this.state === 5) {
          if (line === '') return this.finish()
        } else {
          const size = Number.parseInt(line, 16)
          if (Number.isNaN(size)) return this.fail(new Error(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`))
          if (size === 0) this.state = 5
          else {
            this.state = 3
            this.remaining = size
          }
        }
      }
    }
  }

  readHead(text) {
    const answer = this.answer
    answer.status = Number(text.slice(9, 12))
    let length = 0
    let chunked = false
    let from = text.indexOf('\r\n') + 2
    while (from > 1 && from < text.length) {
      let to = text.indexOf('\r\n', from)
      if (to < 0) to = text.length
      const colon = text.indexOf(':', from)
      if (colon > from && colon < to) {
        const name = text.slice(from, colon).toLowerCase()
        const value = text.slice(colon + 1, to).trim()
        if (name === 'content-length') length = Number(value)
        else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked')
        else if (name === 'connection') this.closeAfter = value.toLowerCase() === 'close'
        else if (name === this.options.header) answer.headerValue = value
      }
      from = to + 2
    }
    if (chunked) this.state = 2
    else {
      this.state = 1
      this.remaining = length
    }
  }

  body(data, from, to) {
    const answer = this.answer
    const options = this.options
    if (answer.firstDataAt === undefined) {
      if (options.watchData) {
        answer.head += data.utf8Slice(from, to)
        if (answer.head.includes('data:')) answer.firstDataAt = performance.now()
      } else if (answer.head.length < options.keepHead) answer.head += data.utf8Slice(from, Math.min(to, from + options.keepHead - answer.head.length))
    }
    if (options.keepTail) answer.tail = (answer.tail + data.latin1Slice(Math.max(from, to - 32), to)).slice(-32)
  }

  finish() {
    const answer = this.answer
    answer.endedAt = performance.now()
    const done = this.done
    this.done = undefined
    if (this.closeAfter) {
      this.closed = true
      this.socket.destroy()
      this.pool.forget(this)
    } else this.pool.release(this)
    done(undefined, answer)
  }
}

/**
 * Up to `connections` keep-alive connections to `origin`; requests beyond them wait in order.
 * `request(bytes, done, options)`: options `{ header, watchData, keepHead, keepTail }` say what of
 * the answer to keep (see Answer).
 */
export class RawPool {
  constructor(origin, { connections = 64 } = {}) {
    const url = new URL(origin)
    this.host = url.hostname
    this.port = Number(url.port || 80)
    this.max = connections
    this.open = new Set()
    this.idle = []
    this.waiting = []
    this.waitingHead = 0
  }

  request(bytes, done, options) {
    const connection = this.idle.pop() ?? (this.open.size < this.max ? this.connect() : undefined)
    if (connection) connection.send(bytes, done, options)
    else this.waiting.push([bytes, done, options])
  }

  connect() {
    const connection = new Connection(this)
    this.open.add(connection)
    return connection
  }

  release(connection) {
    if (this.waitingHead < this.waiting.length) {
      const [bytes, done, options] = this.waiting[this.waitingHead]
      this.waiting[this.waitingHead++] = undefined
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0
        this.waitingHead = 0
      }
      connection.send(bytes, done, options)
    } else this.idle.push(connection)
  }

  forget(connection) {
    this.open.delete(connection)
    const i = this.idle.indexOf(connection)
    if (i >= 0) this.idle.splice(i, 1)
    // a request waiting for a connection gets a new one
    if (this.waitingHead < this.waiting.length) this.release(this.connect())
  }

  close() {
    for (const connection of this.open) {
      connection.closed = true
      connection.socket.destroy()
    }
    this.open.clear()
    this.idle.length = 0
  }
}
