import { describe, expect, it } from 'vitest'
import { objectTotals } from '../lib/callgrind-objects.mjs'

// A callgrind dump in its compressed form: names once, ids after; a `calls=` line's next cost line
// is the call's inclusive cost, already counted in the callee's own lines.
const DUMP = `# callgrind format
version: 1
positions: line
events: Ir
summary: 1000

ob=(1) /usr/bin/node
fl=(1) ???
fn=(1) main
0 100
cob=(2) /usr/lib/x86_64-linux-gnu/libc.so.6
cfi=(2) ???
cfn=(2) malloc
calls=3 0
0 300
+2 50

ob=(2)
fl=(2)
fn=(2)
0 300
ob=(3) ???
fl=(1)
fn=(3) 0x00001234
* 250
ob=(1)
fn=(1)
-1 300
totals: 1300
`

describe('instructions per binary from a callgrind dump', () => {
  it("charges each cost line to its own binary, not a call's inclusive cost to the caller", () => {
    expect(objectTotals(DUMP)).toEqual({ node: 450, 'libc.so.6': 300, '???': 250 })
  })
})
