// How bench/alloc.mjs reads a V8 sampling heap profile (bench/lib/heap-profile.mjs). Nothing here profiles.
import { describe, expect, it } from 'vitest'
// (a plain ES module of the bench: bench/ has no types and is not type-checked)
import { frameName, summarizeHeapProfile, topPerRequest } from '../lib/heap-profile.mjs'

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' })
const node = (callFrame: ReturnType<typeof frame>, selfSize: number, children: unknown[] = []) => ({ callFrame, selfSize, id: 0, children })

describe('heap profile summary', () => {
  it('names frames by function and the file after packages/ or node_modules/, line 1-based', () => {
    expect(frameName(frame('settle', 'file:///w/main/packages/stores-sqlite/dist/index.js', 41))).toBe('settle stores-sqlite/dist/index.js:42')
    expect(frameName(frame('parse', 'file:///w/node_modules/.pnpm/undici@7.16.0/node_modules/undici/lib/x.js', 9))).toBe('parse undici/lib/x.js:10')
    expect(frameName(frame('', '', 0))).toBe('(anonymous)')
    expect(frameName(frame('JSON.parse', ''))).toBe('JSON.parse')
  })

  it('charges builtins to the nearest project frame above them, and counts every byte once', () => {
    const ours = frame('serveChat', 'file:///w/packages/core/dist/index.js', 99)
    const lib = frame('request', 'file:///w/node_modules/undici/index.js', 4)
    const profile = {
      head: node(frame('(root)', ''), 0, [
        node(ours, 100, [node(frame('JSON.parse', ''), 40), node(lib, 10, [node(frame('Buffer.from', ''), 5)])]),
        node(lib, 7),
      ]),
    }
    const { totalBytes, bySelf, byOwn } = summarizeHeapProfile(profile)
    expect(totalBytes).toBe(162)
    expect(byOwn.get('serveChat core/dist/index.js:100')).toBe(155)
    expect(byOwn.get('(not ours) request undici/index.js:5')).toBe(7)
    expect(bySelf.get('request undici/index.js:5')).toBe(17)
    expect(topPerRequest(byOwn, 10, 1)).toEqual([['serveChat core/dist/index.js:100', 15.5]])
  })

  it('does not count node_modules inside a packages/ path as ours', () => {
    const nested = frame('f', 'file:///w/packages/core/node_modules/hono/dist/x.js')
    const { byOwn } = summarizeHeapProfile({ head: node(frame('(root)', ''), 0, [node(nested, 8)]) })
    expect([...byOwn.keys()]).toEqual(['(not ours) f hono/dist/x.js:1'])
  })
})
