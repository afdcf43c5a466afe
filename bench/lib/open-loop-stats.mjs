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
    // ModelMesh's own overhead as it reports it per answer (x-mesh-overhead-ms), pooled likewise.
    ...(runs.some((r) => r.raw?.own?.length) && { ownOverheadMs: pooled('own') }),
    pacing: { mode: runs[0].pacing.mode, sentAlone: Math.min(...runs.map((r) => r.pacing.sentAlone)), largestBurst: Math.max(...runs.map((r) => r.pacing.largestBurst)) },
    rounds: runs.map((r) => ({ latencyMs: r.latencyMs, ...(stream && { ttftMs: r.ttftMs }), completedRate: r.completedRate, sentAlone: r.pacing.sentAlone, ...(r.stealPercent !== undefined && { stealPercent: r.stealPercent }) })),
  }
}
