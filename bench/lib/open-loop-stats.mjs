// Percentiles of open-loop samples, and the merge of several rounds of one target into one result.
// Used by load/openloop.mjs (one round), run.mjs and ab.mjs (interleaved rounds); tested in bench/test.

/** p50/p90/p95/p99/p99.9/max in ms of samples in µs, by the nearest-rank method; null when there are none. */
export function percentiles(valuesUs) {
  if (valuesUs.length === 0) return null
  const sorted = Float64Array.from(valuesUs).sort()
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] / 1000
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] / 1000, count: sorted.length }
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0)

/**
 * One target's rounds (load/openloop.mjs results with `raw`) as one result: percentiles over the
 * pooled samples, counts summed, the slowest round's answer rate (it decides whether the target kept
 * up), the least even pacing, and each round's own percentiles for the spread.
 */
export function mergeRounds(runs, { stream = false } = {}) {
  const pooled = (field) => percentiles(runs.flatMap((r) => r.raw?.[field] ?? []))
  return {
    sent: sum(runs.map((r) => r.sent)),
    achievedRate: sum(runs.map((r) => r.achievedRate)) / runs.length,
    completedRate: Math.min(...runs.map((r) => r.completedRate)),
    unfinished: sum(runs.map((r) => r.unfinished)),
    errors: sum(runs.map((r) => r.errors)),
    non2xx: sum(runs.map((r) => r.non2xx)),
    firstError: runs.find((r) => r.firstError)?.firstError,
    latencyMs: pooled('latency'),
    ...(stream && { ttftMs: pooled('ttft') }),
    // How the slow answers are spread (null: none above 5 ms), for reading the p99.
    ...(!stream && { slow: slowStretches(runs.flatMap((r) => r.raw?.latency ?? [])) }),
    // ModelMesh's own overhead as it reports it per answer (x-mesh-overhead-ms), pooled likewise.
    ...(runs.some((r) => r.raw?.own?.length) && { ownOverheadMs: pooled('own') }),
    pacing: { mode: runs[0].pacing.mode, sentAlone: Math.min(...runs.map((r) => r.pacing.sentAlone)), largestBurst: Math.max(...runs.map((r) => r.pacing.largestBurst)) },
    rounds: runs.map((r) => ({ latencyMs: r.latencyMs, ...(stream && { ttftMs: r.ttftMs }), completedRate: r.completedRate, sentAlone: r.pacing.sentAlone, ...(r.stealPercent !== undefined && { stealPercent: r.stealPercent }) })),
  }
}

/**
 * How the slow answers of one run are spread (samples in µs, in the order the answers came): those
 * above `thresholdMs`, grouped into stretches — slow answers at most `gap` answers apart. A few long
 * stretches at a steady spacing are pauses of the target (e.g. the bare proxy's 7–14 ms scavenges
 * every ~330 answers at 1,000 req/s); many short ones spread out are its queue catching up after a
 * lost core. Null when no answer was slow.
 * @returns { slow, stretches, medianSize, largestSize, largestMs, medianSpacing } sizes and spacing in answers
 */
export function slowStretches(valuesUs, { thresholdMs = 5, gap = 30 } = {}) {
  const stretches = []
  valuesUs.forEach((us, i) => {
    if (us <= thresholdMs * 1000) return
    const last = stretches.at(-1)
    if (last && i - last.end <= gap) {
      last.end = i
      last.size++
      last.maxUs = Math.max(last.maxUs, us)
    } else stretches.push({ start: i, end: i, size: 1, maxUs: us })
  })
  if (stretches.length === 0) return null
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
  const largest = stretches.reduce((a, b) => (b.size > a.size ? b : a))
  return {
    slow: sum(stretches.map((s) => s.size)),
    stretches: stretches.length,
    medianSize: median(stretches.map((s) => s.size)),
    largestSize: largest.size,
    largestMs: Math.max(...stretches.map((s) => s.maxUs)) / 1000,
    medianSpacing: stretches.length > 1 ? median(stretches.slice(1).map((s, i) => s.start - stretches[i].start)) : null,
  }
}
