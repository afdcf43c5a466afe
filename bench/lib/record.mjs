// The record of recorded runs: how often each target met the latency goals over the reports in
// bench/results/*.json, judged as each run's own report judges ModelMesh full (overhead = target −
// direct, same percentile), so a goal can be read against what the bare proxy and minimal did on
// the same machines in the same runs.

import { clientOf, overhead } from './report.mjs'

export const RECORD_TARGETS = ['bare', 'mesh-minimal', 'mesh-full']

/** A run counts when it measured every scenario (a `--only` or `--targets` subset does not). */
export const isFullRun = (report) =>
  Boolean(report.throughput?.[100] && report.latency?.direct && report.ttft?.direct && report.streams && RECORD_TARGETS.every((id) => report.latency[id] && report.ttft[id]))

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b)
  return v.length ? (v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2 : NaN
}

/** Whether a report's run kept every CPU awake (`--awake-cores`: no halted virtual CPU to wake). */
export const awakeOf = (report) => Boolean(report.awakeCores)

/**
 * `reports`: [name, report] pairs; `client`: only the runs measured with that open-loop client (its
 * own delay is in the direct fake's figures: runs of different clients do not compare); `awake`
 * (true / false): only the runs with / without `--awake-cores`. Per target: runs, p99 overhead ≤ 2 ms (at the run's rate) and
 * TTFT p50 overhead ≤ 1 ms counts, medians, and the runs that met p99 with the direct fake's own
 * p99 beside them (a direct p99 raised by one round makes an overhead look small: read those).
 * Also, for minimal and full, the runs whose p99 (TTFT p50) overhead was at most the bare proxy's in
 * the same run (`p99AtMostBare`, `ttftAtMostBare`: the yardstick of what Node itself does on that
 * machine), and their own overhead as they report it (`x-mesh-overhead-ms`: `ownP99Met` /
 * `ownTtftMet` of `ownRuns`, the runs that recorded it, and medians): what the gateway's own work
 * costs, apart from the hops and the waits for a core. Where runs measured TTFT at the latency rate
 * too (`ttftLoaded`): `ttftLoadedMet` of `loadedRuns`, and the median.
 */
export function recordSummary(reports, { p99GoalMs = 2, ttftGoalMs = 1, client, awake } = {}) {
  const runs = reports.filter(([, report]) => isFullRun(report) && (client === undefined || clientOf(report) === client) && (awake === undefined || awakeOf(report) === awake))
  const bareP99 = runs.map(([, r]) => overhead(r.latency, 'bare', 'latencyMs').p99)
  const bareTtft = runs.map(([, r]) => overhead(r.ttft, 'bare', 'ttftMs').p50)
  const atMost = (values, yardstick) => values.filter((x, i) => x <= yardstick[i]).length
  const targets = RECORD_TARGETS.map((id) => {
    const p99 = runs.map(([, r]) => overhead(r.latency, id, 'latencyMs').p99)
    const ttft = runs.map(([, r]) => overhead(r.ttft, id, 'ttftMs').p50)
    // TTFT at the latency scenario's rate, in the runs that measured it (since the twenty-first session).
    const loaded = runs.filter(([, r]) => r.ttftLoaded?.[id] && r.ttftLoaded.direct).map(([, r]) => overhead(r.ttftLoaded, id, 'ttftMs').p50)
    const own = runs.filter(([, r]) => r.latency[id].ownOverheadMs && r.ttft[id].ownOverheadMs)
    const ownP99 = own.map(([, r]) => r.latency[id].ownOverheadMs.p99)
    const ownTtft = own.map(([, r]) => r.ttft[id].ownOverheadMs.p50)
    return {
      id,
      runs: runs.length,
      p99Met: p99.filter((x) => x <= p99GoalMs).length,
      p99Median: median(p99),
      ttftMet: ttft.filter((x) => x <= ttftGoalMs).length,
      ttftMedian: median(ttft),
      ...(loaded.length > 0 && { loadedRuns: loaded.length, ttftLoadedMet: loaded.filter((x) => x <= ttftGoalMs).length, ttftLoadedMedian: median(loaded) }),
      ...(id !== 'bare' && { p99AtMostBare: atMost(p99, bareP99), ttftAtMostBare: atMost(ttft, bareTtft) }),
      ...(own.length > 0 && { ownRuns: own.length, ownP99Met: ownP99.filter((x) => x <= p99GoalMs).length, ownP99Median: median(ownP99), ownTtftMet: ownTtft.filter((x) => x <= ttftGoalMs).length, ownTtftMedian: median(ownTtft) }),
      p99MetIn: runs.flatMap(([name, r], i) => (p99[i] <= p99GoalMs ? [{ name, overheadMs: p99[i], directP99Ms: r.latency.direct.latencyMs.p99 }] : [])),
    }
  })
  return { runs: runs.map(([name]) => name), targets }
}
