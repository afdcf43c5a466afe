import type { Candidate, ScoredCandidate } from '../contracts/rotation-policy.js'

/**
 * A ranked candidate whose `why` is written when it is read, not when the candidates are ranked:
 * only explain (`POST /admin/v1/explain`, a dry run) reads it, right after the ranking, while every
 * request ranks its whole pool — with a thousand deployments, formatting a thousand reasons
 * (`toFixed`, template strings) was a large share of the routing decision.
 */
export class RankedCandidate implements ScoredCandidate {
  constructor(
    readonly candidate: Candidate,
    readonly score: number,
    private readonly reason: (c: Candidate) => string,
  ) {}

  get why(): string {
    return this.reason(this.candidate)
  }
}
