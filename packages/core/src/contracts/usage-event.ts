import { Type, type Static } from '@sinclair/typebox'
import { Usage } from './usage.js'

export const AttemptRecord = Type.Object({
  deployment: Type.String(),
  provider: Type.String(),
  model: Type.String(),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('error')]),
  status: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  durationMs: Type.Number(),
})
export type AttemptRecord = Static<typeof AttemptRecord>

/**
 * The metadata record of one request. It never holds prompt or completion content.
 * Costs are in micro-USD (integers) so money is never a float.
 */
export const UsageEvent = Type.Object({
  specificationVersion: Type.Literal('mesh.usage.v1'),
  requestId: Type.String(),
  idempotencyKey: Type.Optional(Type.String()),
  keyId: Type.Optional(Type.String()),
  projectId: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  ingress: Type.String(),
  requestedModel: Type.String(),
  servedBy: Type.Optional(Type.Object({ provider: Type.String(), model: Type.String(), deployment: Type.String() })),
  stream: Type.Boolean(),
  attempts: Type.Array(AttemptRecord),
  usage: Usage,
  cost: Type.Optional(
    Type.Object({
      upstreamMicroUsd: Type.Integer(),
      marginMicroUsd: Type.Integer(),
      billedMicroUsd: Type.Integer(),
      pricingVersion: Type.Optional(Type.String()),
      missingPrice: Type.Optional(Type.Boolean()),
    }),
  ),
  timings: Type.Object({
    startedAt: Type.Number(),
    overheadMs: Type.Optional(Type.Number()),
    firstTokenMs: Type.Optional(Type.Number()),
    totalMs: Type.Number(),
  }),
  status: Type.Integer({ description: 'HTTP status the client got' }),
  billingReason: Type.Optional(Type.String()),
  clientDisconnected: Type.Optional(Type.Boolean()),
})
export type UsageEvent = Static<typeof UsageEvent>
