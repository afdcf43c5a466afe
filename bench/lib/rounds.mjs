/**
 * The order the targets run in, in round `round` (0-based) of interleaved rounds: as given in even
 * rounds, reversed in odd ones. With one fixed order a VM that speeds up or slows down during a
 * round favours whichever target always runs later (2026-12-02: four rounds of two configs in one
 * order gave the second +6 to +30 % req/s in every round; the same configs in the other order, no
 * difference). Alternating, a steady drift favours each target in half of the rounds, and with two
 * rounds it cancels in the median.
 */
export const roundOrder = (targets, round) => (round % 2 === 0 ? targets : [...targets].reverse())

/**
 * One open-loop round of one target, measured again while the hypervisor took more than
 * `limitPercent` of the VM's cores during its measured seconds (`run.steal.percent`, from the load
 * generator), at most `retries` times. A stolen virtual CPU runs nothing: every process on it — the
 * fake and the load generator too — answers or sends late, and a round with a few % of steal has
 * the VM's p99, not the target's (bench/README, Caveats). `measure(attempt)` runs the round
 * (attempt 0, 1, …). Returns the run kept (the last one) and what each discarded run measured.
 * A run without a steal reading (older load generators) is kept as it is.
 */
export async function measureRound(measure, { limitPercent = Infinity, retries = 0 } = {}) {
  const remeasured = []
  for (let attempt = 0; ; attempt++) {
    const run = await measure(attempt)
    const percent = run.steal?.percent
    if (!(percent > limitPercent) || attempt >= retries) return { run, remeasured }
    remeasured.push({ stealPercent: percent, p50: run.latencyMs?.p50, p99: run.latencyMs?.p99, ...(run.ttftMs && { ttftP99: run.ttftMs.p99 }) })
  }
}
