// Which answers a pause was in the way of (bench/gcslow.mjs, bench/sched.mjs): an answer is "hit" by
// a pause when its time in flight [sent, sent + latency] overlaps [start, start + duration] — a
// main-thread garbage collection (lib/gc-probe.mjs), or a run of a thread outside the bench that
// took a core (the VM's kdamond, say; from `perf sched`).

/** Parses a `gc <kind> <start> <duration>` line of lib/gc-probe.mjs; undefined for any other line. */
export function parseGcLine(line) {
  const m = /^gc (\S+) (-?[\d.]+) ([\d.]+)$/.exec(line.trim())
  return m ? { kind: m[1], startMs: Number(m[2]), durationMs: Number(m[3]) } : undefined
}

const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)])

/** count, p50, p90, p99 and max of `xs` (not sorted in place). */
export function latencyStats(xs) {
  const sorted = [...xs].sort((a, b) => a - b)
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN }
}

/**
 * For each answer (sentMs[i], latencyMs[i]), whether one of `pauses` ({ startMs, durationMs }, any
 * order, possibly overlapping one another) overlapped its time in flight.
 */
export function overlapped(sentMs, latencyMs, pauses) {
  // Sorted by end: a pause that ended before an answer was sent ended before every later-sent one.
  const byEnd = pauses.map((p) => [p.startMs, p.startMs + p.durationMs]).sort((a, b) => a[1] - b[1])
  const order = sentMs.map((_, i) => i).sort((a, b) => sentMs[a] - sentMs[b])
  const hit = new Array(sentMs.length).fill(false)
  let first = 0
  for (const i of order) {
    const start = sentMs[i]
    const end = start + latencyMs[i]
    while (first < byEnd.length && byEnd[first][1] < start) first++
    for (let k = first; k < byEnd.length; k++) {
      if (byEnd[k][0] <= end) {
        hit[i] = true
        break
      }
    }
  }
  return hit
}

/** Pauses per kind: count, median, max and total ms. */
export function pausesByKind(pauses) {
  const byKind = new Map()
  for (const p of pauses) {
    const durations = byKind.get(p.kind) ?? []
    durations.push(p.durationMs)
    byKind.set(p.kind, durations)
  }
  return [...byKind].map(([kind, durations]) => {
    const d = durations.sort((a, b) => a - b)
    return { kind, count: d.length, p50: percentile(d, 50), max: d.at(-1), totalMs: d.reduce((a, b) => a + b, 0) }
  })
}

/**
 * The answers split by the pauses that overlapped them: `causes` maps a name to its pauses. Returns
 * the latency stats of all answers and of those no pause of any cause overlapped, and, of the answers
 * above `slowMs`, how many each cause overlapped and how many none did.
 */
export function attribute(sentMs, latencyMs, causes, { slowMs = 5 } = {}) {
  const hits = Object.fromEntries(Object.entries(causes).map(([name, pauses]) => [name, overlapped(sentMs, latencyMs, pauses)]))
  const names = Object.keys(hits)
  const clean = latencyMs.filter((_, i) => names.every((n) => !hits[n][i]))
  const slow = latencyMs.map((_, i) => i).filter((i) => latencyMs[i] > slowMs)
  return {
    all: latencyStats(latencyMs),
    clean: latencyStats(clean),
    hitCount: Object.fromEntries(names.map((n) => [n, hits[n].filter(Boolean).length])),
    slow: {
      count: slow.length,
      by: Object.fromEntries(names.map((n) => [n, slow.filter((i) => hits[n][i]).length])),
      none: slow.filter((i) => names.every((n) => !hits[n][i])).length,
    },
  }
}
