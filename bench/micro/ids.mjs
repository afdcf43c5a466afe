#!/usr/bin/env node
// What a time-ordered id costs: @modelmesh/core's `uuidv7` and `newRequestId` (the built package) next
// to the way they were made before the eleventh session (`crypto.randomUUID()`, then slices of its
// text and of the time's digits), each used as a Map key so the strings are flattened as the request
// path's lookups do. A full request makes two (its request id, its debit's ledger id).
//   node bench/micro/ids.mjs [--iterations 1000000] [--rounds 3]
import { parseArgs } from 'node:util'
import { newRequestId, uuidv7 } from '@modelmesh/core'

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } })
const N = Number(values.iterations)

const hexTimeBefore = (now) => Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12)
const variants = {
  'uuidv7, before (randomUUID + slices)': (now) => {
    const random = globalThis.crypto.randomUUID()
    const time = hexTimeBefore(now)
    return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`
  },
  'uuidv7, @modelmesh/core': (now) => uuidv7(now),
  'newRequestId, before (randomUUID + slices)': (now) => {
    const random = globalThis.crypto.randomUUID()
    return `req_${hexTimeBefore(now)}7${random.slice(15, 18)}${random.slice(19, 23)}${random.slice(24)}`
  },
  'newRequestId, @modelmesh/core': (now) => newRequestId(now),
}

const map = new Map()
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, make] of Object.entries(variants)) {
    map.clear()
    const start = process.hrtime.bigint()
    for (let i = 0; i < N; i++) {
      map.set(make(Date.now()), i)
      if (map.size === 1024) map.clear()
    }
    const ns = Number(process.hrtime.bigint() - start) / N
    console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(5)} ns an id (made and used as a Map key)`)
  }
}
