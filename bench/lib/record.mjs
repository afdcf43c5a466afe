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
 */
export function recordSummary(reports, { p99GoalMs = 2, ttftGoalMs = 1, client, awake } = {}) {
  const runs = reports.filter(([, report]) => isFullRun(report) && (client === undefined || clientOf(report) === client) && (awake === undefined || awakeOf(report) === awake))
  const targets = RECORD_TARGETS.map((id) => {
    const p99 = runs.map(([, r]) => overhead(r.latency, id, 'latencyMs').p99)
    const ttft = runs.map(([, r]) => overhead(r.ttft, id, 'ttftMs').p50)
    return {
      id,
      runs: runs.length,
      p99Met: p99.filter((x) => x <= p99GoalMs).length,
      p99Median: median(p99),
      ttftMet: ttft.filter((x) => x <= ttftGoalMs).length,
      ttftMedian: median(ttft),
      p99MetIn: runs.flatMap(([name, r], i) => (p99[i] <= p99GoalMs ? [{ name, overheadMs: p99[i], directP99Ms: r.latency.direct.latencyMs.p99 }] : [])),
    }
  })
  return { runs: runs.map(([name]) => name), targets }
}
