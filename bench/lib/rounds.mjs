/**
 * The order the targets run in, in round `round` (0-based) of interleaved rounds: as given in even
 * rounds, reversed in odd ones. With one fixed order a VM that speeds up or slows down during a
 * round favours whichever target always runs later (2026-12-02: four rounds of two configs in one
 * order gave the second +6 to +30 % req/s in every round; the same configs in the other order, no
 * difference). Alternating, a steady drift favours each target in half of the rounds, and with two
 * rounds it cancels in the median.
 */
export const roundOrder = (targets, round) => (round % 2 === 0 ? targets : [...targets].reverse())
