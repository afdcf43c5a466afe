#!/usr/bin/env node
// How this Node's V8 builds "a copy of an object, plus a few properties" — the shape of per-request
// headers and results. On Node 20 (V8 11.3) every property added to a spread copy, in the literal
// (`{ ...src, a, b }`) or after it, takes a slow path (~0.5 µs each), while `Object.assign({}, src)`
// followed by the same assignments stays on the fast path; a spread at the end of a literal
// (`{ a, b, ...extra }`) is fast. The request path uses Object.assign for that reason (2026-12-02:
// minimal 693 k → 657 k, full 1,150 k → 1,076 k instructions per lone request). Re-run on a new
// Node major before going back to spreads:
//   node bench/micro/object-copies.mjs [--iterations 1000000]
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '1000000' } } })
const N = Number(values.iterations)
// Six rate-limit headers, then the gateway's own six: what serveChat builds for a billed answer.
const rateLimit = {
  'x-ratelimit-limit-requests': '1000',
  'x-ratelimit-remaining-requests': '999',
  'x-ratelimit-reset-requests': '60s',
  'x-ratelimit-limit-tokens': '100000',
  'x-ratelimit-remaining-tokens': '99000',
  'x-ratelimit-reset-tokens': '60s',
}
const ids = Array.from({ length: 1024 }, (_, i) => `req_${i}`)

// The variants repeat the same six properties on purpose: each must be its own function, with its own
// type feedback (a shared helper would see both kinds of copy and measure neither alone).
const variants = {
  'spread in the literal, then 6 properties': (id) => ({ ...rateLimit, 'content-type': 'application/json', 'x-mesh-request-id': id, 'x-mesh-receipt-id': id, 'x-mesh-provider': 'fake', 'x-mesh-model': 'm', 'x-mesh-attempts': '1' }),
  'spread copy, then 6 assignments': (id) => {
    const h = { ...rateLimit }
    h['content-type'] = 'application/json'
    h['x-mesh-request-id'] = id
    h['x-mesh-receipt-id'] = id
    h['x-mesh-provider'] = 'fake'
    h['x-mesh-model'] = 'm'
    h['x-mesh-attempts'] = '1'
    return h
  },
  'Object.assign copy, then 6 assignments': (id) => {
    const h = Object.assign({}, rateLimit)
    h['content-type'] = 'application/json'
    h['x-mesh-request-id'] = id
    h['x-mesh-receipt-id'] = id
    h['x-mesh-provider'] = 'fake'
    h['x-mesh-model'] = 'm'
    h['x-mesh-attempts'] = '1'
    return h
  },
  'Object.assign({}, src, { 6 properties })': (id) => Object.assign({}, rateLimit, { 'content-type': 'application/json', 'x-mesh-request-id': id, 'x-mesh-receipt-id': id, 'x-mesh-provider': 'fake', 'x-mesh-model': 'm', 'x-mesh-attempts': '1' }),
  'literal of 6, spread at the end': (id) => ({ 'content-type': 'application/json', 'x-mesh-request-id': id, 'x-mesh-receipt-id': id, 'x-mesh-provider': 'fake', 'x-mesh-model': 'm', 'x-mesh-attempts': '1', ...rateLimit }),
}

console.log(`Node ${process.version}, V8 ${process.versions.v8}; ${N.toLocaleString('en-US')} objects per variant, best of 3`)
for (const [name, build] of Object.entries(variants)) {
  let best = Infinity
  let keys = 0
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < N; i++) keys += Object.keys(build(ids[i & 1023])).length
    best = Math.min(best, Number(process.hrtime.bigint() - started) / N)
  }
  if (keys !== 3 * N * 12) throw new Error(`${name}: built the wrong objects`)
  console.log(`${name.padEnd(44)} ${(best / 1000).toFixed(3)} µs per object`)
}
