// Summarise a V8 sampling heap profile (`HeapProfiler.SamplingHeapProfile`, as bench/lib/heap-sampler.mjs
// writes it): bytes by allocating frame, and by the nearest frame of the project's own code above it
// (an allocation in a builtin — JSON.parse, a Map's backing store, a string concat — is charged to
// the ModelMesh function that called it; one outside any project frame to `(not ours) <frame>`).

/** `name file:line` of a call frame, the file shortened to what follows `packages/` or `node_modules/`. */
export function frameName({ functionName, url, lineNumber }) {
  const file = url ? url.replace(/^file:\/\//, '').replace(/^.*\/(packages\/|node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?)/, '') : ''
  const name = functionName || '(anonymous)'
  return file ? `${name} ${file}:${lineNumber + 1}` : name
}

const isOurs = (url, ours) => Boolean(url) && url.includes(ours) && !url.includes('node_modules')

/**
 * Walks the profile's tree. Returns { totalBytes, bySelf: Map<frame, bytes>, byOwn: Map<frame, bytes> }.
 * `ours`: the path fragment that marks the project's code (default `/packages/`).
 */
export function summarizeHeapProfile(profile, { ours = '/packages/' } = {}) {
  const bySelf = new Map()
  const byOwn = new Map()
  let totalBytes = 0
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes)
  // Iterative: allocation trees can be deep.
  const stack = [{ node: profile.head, own: undefined }]
  while (stack.length > 0) {
    const { node, own: above } = stack.pop()
    const own = isOurs(node.callFrame.url, ours) ? frameName(node.callFrame) : above
    if (node.selfSize > 0) {
      totalBytes += node.selfSize
      add(bySelf, frameName(node.callFrame), node.selfSize)
      add(byOwn, own ?? `(not ours) ${frameName(node.callFrame)}`, node.selfSize)
    }
    for (const child of node.children ?? []) stack.push({ node: child, own })
  }
  return { totalBytes, bySelf, byOwn }
}

/** The `top` largest rows of a Map<frame, bytes>, as [frame, bytes per request] pairs. */
export function topPerRequest(map, requests, top = 25) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, bytes]) => [frame, bytes / requests])
}
