// Summarise a V8 .cpuprofile: self and inclusive time per function (deduplicated per stack).
import { readFileSync } from 'node:fs'

export function summarize(file, { top = 30, filter = '', print = console.log } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const time = new Map()
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const name = (n) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\/\.pnpm\/([^/]+)\/.*\//, '$1:').replace(/.*\/packages\//, 'packages/')
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`
  }
  const self = new Map()
  const inclusive = new Map()
  let total = 0
  for (const [id, t] of time) {
    total += t
    const key = name(byId.get(id))
    self.set(key, (self.get(key) ?? 0) + t)
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur))
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + t)
    }
  }
  const show = (map, title) => {
    print(`── ${title} (${(total / 1e6).toFixed(1)} s sampled)`)
    ;[...map].filter(([k]) => k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top).forEach(([k, t]) => print(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`))
  }
  show(self, 'self time')
  show(inclusive, 'inclusive time')
  return { self, inclusive, total }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, filter = '', top = '30'] = process.argv.slice(2)
  summarize(file, { filter, top: Number(top) })
}
