// Busy stretches of the main thread in a V8 .cpuprofile: consecutive samples that are not "(idle)",
// merged into one stretch (a request arriving then waits for all of it). A long stretch is what an
// open-loop request that arrives during it pays on top of its own work, so the stretches' lengths,
// and what runs in the long ones, explain a target's p90/p99 where its own per-request work cannot.
//
//   node bench/lib/busy-spans.mjs <file.cpuprofile> [--long-ms 1] [--top 25] [--skip-s 0]
//
// Needs a fine sampling interval (profile.mjs --interval 50 or 100). With sampling every I µs a
// stretch is known to within ~2 I. "(program)" (V8 outside JS: the parser, the embedder's native
// callbacks, libuv) and "(garbage collector)" count as busy; only "(idle)" ends a stretch.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

/** Stretches of a parsed profile: [{ startUs, us, samples: [nodeId, us][] }] in time order. */
export function busyStretches(profile, { skipUs = 0 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const stretches = []
  let t = profile.startTime
  let cur
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    t += dt
    if (t - profile.startTime < skipUs) continue
    const node = byId.get(profile.samples[i])
    // A sample stands for the interval that ends at it: its delta is the time it covers.
    const idle = node.callFrame.functionName === '(idle)'
    if (idle) {
      if (cur) stretches.push(cur)
      cur = undefined
      continue
    }
    if (!cur) cur = { startUs: t - dt, us: 0, samples: [] }
    cur.us += dt
    cur.samples.push([node.id, dt])
  }
  if (cur) stretches.push(cur)
  return stretches
}

/** Percentile (0..100) of a sorted array of numbers. */
const pct = (sorted, p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))])

/** Share of wall time and counts by stretch length, and what ran in stretches of at least `longUs`. */
export function analyse(profile, { longUs = 1_000, skipUs = 0 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stretches = busyStretches(profile, { skipUs })
  const wallUs = profile.endTime - profile.startTime - skipUs
  const lengths = stretches.map((s) => s.us).sort((a, b) => a - b)
  const busyUs = lengths.reduce((a, b) => a + b, 0)
  const long = stretches.filter((s) => s.us >= longUs)
  const longUsTotal = long.reduce((a, s) => a + s.us, 0)
  const name = (n) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\/\.pnpm\/([^/]+)\/.*\//, '$1:').replace(/.*\/packages\//, 'packages/')
    return `${n.callFrame.functionName || '(anonymous)'}${url ? ` ${url}:${n.callFrame.lineNumber + 1}` : ''}`
  }
  // Inclusive time per function inside the long stretches (each function once per stack).
  const inclusive = new Map()
  const self = new Map()
  for (const s of long) {
    for (const [id, dt] of s.samples) {
      const own = name(byId.get(id))
      self.set(own, (self.get(own) ?? 0) + dt)
      const seen = new Set()
      for (let c = id; c !== undefined; c = parent.get(c)) {
        const k = name(byId.get(c))
        if (seen.has(k) || k.startsWith('(root)')) continue
        seen.add(k)
        inclusive.set(k, (inclusive.get(k) ?? 0) + dt)
      }
    }
  }
  // Requests arriving uniformly: the share that lands inside a stretch of at least L is
  // (time in such stretches) / wall time; they wait half of it on average.
  const byLength = [0.25, 0.5, 1, 2, 5, 10].map((ms) => {
    const inIt = stretches.filter((s) => s.us >= ms * 1000)
    return { ms, count: inIt.length, wallShare: inIt.reduce((a, s) => a + s.us, 0) / wallUs }
  })
  return { wallUs, busyUs, count: stretches.length, p50: pct(lengths, 50), p90: pct(lengths, 90), p99: pct(lengths, 99), max: lengths.at(-1) ?? 0, byLength, long: long.length, longUsTotal, inclusive, self }
}

export function report(file, { longMs = 1, top = 25, skipS = 0, print = console.log } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const a = analyse(profile, { longUs: longMs * 1000, skipUs: skipS * 1e6 })
  const ms = (us) => (us / 1000).toFixed(3)
  print(`${(a.wallUs / 1e6).toFixed(1)} s of wall time, busy ${((100 * a.busyUs) / a.wallUs).toFixed(1)} % in ${a.count} stretches: p50 ${ms(a.p50)} · p90 ${ms(a.p90)} · p99 ${ms(a.p99)} · max ${ms(a.max)} ms`)
  print('stretches of at least L: count, share of wall time (= share of uniformly arriving requests that land in one)')
  for (const b of a.byLength) print(`  L = ${String(b.ms).padStart(5)} ms  ${String(b.count).padStart(7)}  ${(100 * b.wallShare).toFixed(2).padStart(6)} %`)
  const show = (map, title) => {
    print(`-- ${title} in the ${a.long} stretches of at least ${longMs} ms (${ms(a.longUsTotal)} ms in all)`)
    ;[...map].sort((x, y) => y[1] - x[1]).slice(0, top).forEach(([k, t]) => print(`${((100 * t) / a.longUsTotal).toFixed(1).padStart(5)}%  ${k}`))
  }
  show(a.self, 'self time')
  show(a.inclusive, 'inclusive time')
  return a
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'long-ms': { type: 'string', default: '1' }, top: { type: 'string', default: '25' }, 'skip-s': { type: 'string', default: '0' } } })
  if (positionals.length !== 1) {
    console.error('usage: node bench/lib/busy-spans.mjs <file.cpuprofile> [--long-ms 1] [--top 25] [--skip-s 0]')
    process.exit(2)
  }
  report(positionals[0], { longMs: Number(values['long-ms']), top: Number(values.top), skipS: Number(values['skip-s']) })
}
