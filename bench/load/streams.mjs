// Many concurrent SSE streams over h2c, in its own process (run several for 10,000 streams).
//   { origin, streams, sessions, rampPerSec, body, path, headers }
// Prints one JSON line: completed, failed, first error, and each stream's [start, end] wall-clock ms so
// the orchestrator can compute how many were open at the same time across all client processes.
import http2 from 'node:http2'

const input = JSON.parse(process.argv[2])
const sessions = Array.from({ length: input.sessions }, () => {
  const session = http2.connect(input.origin, { peerMaxConcurrentStreams: 10_000 })
  session.on('error', () => {})
  return session
})

let completed = 0
let failed = 0
let firstError
const spans = []

function openStream(i) {
  return new Promise((resolve) => {
    const session = sessions[i % sessions.length]
    const startedAt = Date.now()
    let firstAt
    let tail = ''
    let settled = false
    const finish = (error) => {
      if (settled) return
      settled = true
      if (error) {
        failed++
        firstError ??= error
      } else completed++
      spans.push([startedAt, firstAt ?? Date.now(), Date.now()])
      resolve()
    }
    const req = session.request({ ':method': 'POST', ':path': input.path, 'content-type': 'application/json', ...input.headers })
    req.setEncoding('utf8')
    let status = 0
    req.on('response', (headers) => {
      status = headers[':status']
    })
    req.on('data', (chunk) => {
      firstAt ??= Date.now()
      tail = (tail + chunk).slice(status === 200 ? -64 : -300)
    })
    req.on('end', () => finish(status !== 200 ? `status ${status}: ${tail}` : tail.includes('[DONE]') ? undefined : 'stream ended without [DONE]'))
    req.on('error', (error) => finish(error.message))
    req.end(input.body)
  })
}

const all = []
const start = Date.now()
for (let i = 0; i < input.streams; i++) {
  const due = start + (i * 1000) / input.rampPerSec
  const wait = due - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  all.push(openStream(i))
}
await Promise.all(all)
for (const session of sessions) session.close()
console.log(JSON.stringify({ completed, failed, firstError, spans }))
