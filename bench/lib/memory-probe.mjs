// Preloaded by `bench/memory.mjs --breakdown` (node --import). On SIGHUP prints one line
// `memory-probe {json}`: process.memoryUsage(), V8 heap spaces, code statistics, and every script V8
// has parsed (from the in-process inspector's Debugger.scriptParsed), grouped by package.
// Nothing runs before the signal, so the probe does not change what is measured before it.
import { Session } from 'node:inspector'
import v8 from 'node:v8'

function packageOf(url) {
  if (!url) return '(anonymous / eval)'
  if (url.startsWith('node:')) return '(node internals)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url)
  if (pkg) return `@modelmesh/${pkg[1]} (workspace)`
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')
}

process.on('SIGHUP', () => {
  const memoryUsage = process.memoryUsage()
  const spaces = v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size }))
  const code = v8.getHeapCodeStatistics()
  const session = new Session()
  session.connect()
  const scripts = []
  session.on('Debugger.scriptParsed', ({ params }) => scripts.push({ url: params.url, length: params.length }))
  session.post('Debugger.enable', () => {
    session.post('Debugger.disable', () => {
      session.disconnect()
      const byPackage = {}
      let bytes = 0
      for (const s of scripts) {
        if (s.url.startsWith('node:') || s.url === '') continue
        const key = packageOf(s.url)
        const e = (byPackage[key] ??= { count: 0, bytes: 0 })
        e.count++
        e.bytes += s.length
        bytes += s.length
      }
      const anonymous = scripts.filter((s) => s.url === '')
      byPackage['(anonymous / eval)'] = { count: anonymous.length, bytes: anonymous.reduce((a, s) => a + s.length, 0) }
      const modules = { total: scripts.length, bytes, byPackage }
      process.stdout.write(`memory-probe ${JSON.stringify({ memoryUsage, spaces, code, modules })}\n`)
    })
  })
})
