// Reading bench/lib/old-space-probe.mjs's lines (bench/oldgen.mjs).

/** `[bytes, markCompacts]` of a probe line (`old-space <bytes> <mark-compacts>`), or undefined for any other line. */
export function parseOldSpaceLine(line) {
  const match = /^old-space (\d+) (\d+)$/.exec(line)
  return match ? [Number(match[1]), Number(match[2])] : undefined
}

/**
 * Growth from the probe's samples (`[bytes, markCompacts]`, one a second): the mean of the
 * one-second increases over the seconds in which no mark-compact ran (one that ran frees most of
 * old space), how many such seconds there were, and the mark-compacts between the first sample and the last.
 */
export function growthOf(samples) {
  let sum = 0
  let seconds = 0
  for (let i = 1; i < samples.length; i++) {
    const [bytes, marks] = samples[i]
    const [before, marksBefore] = samples[i - 1]
    if (marks !== marksBefore) continue
    sum += bytes - before
    seconds++
  }
  return { bytesPerSecond: seconds ? sum / seconds : NaN, seconds, markCompacts: samples.length ? samples.at(-1)[1] - samples[0][1] : 0 }
}
