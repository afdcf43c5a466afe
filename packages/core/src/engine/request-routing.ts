import { Type, type Static } from '@sinclair/typebox'
import type { ErrorObject } from 'ajv'
import { GatewayError } from '../errors/gateway-error.js'
import { validate as generatedValidator } from './provider-preferences-validator.generated.js'

/** Request-level routing, in OpenRouter's words: `provider: { order, only, ignore, sort, … }`. */
export const ProviderPreferences = Type.Object(
  {
    order: Type.Optional(Type.Array(Type.String())),
    only: Type.Optional(Type.Array(Type.String())),
    ignore: Type.Optional(Type.Array(Type.String())),
    sort: Type.Optional(Type.Union([Type.Literal('price'), Type.Literal('latency'), Type.Literal('throughput')])),
    allow_fallbacks: Type.Optional(Type.Boolean()),
    max_price: Type.Optional(Type.Object({ prompt: Type.Optional(Type.Number({ minimum: 0 })), completion: Type.Optional(Type.Number({ minimum: 0 })) }, { additionalProperties: false })),
    zdr: Type.Optional(Type.Boolean({ description: 'Only deployments flagged zero-data-retention' })),
    data_collection: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')])),
  },
  { additionalProperties: false },
)
export type ProviderPreferences = Static<typeof ProviderPreferences>

/**
 * ProviderPreferences compiled by ajv ahead of time (provider-preferences-validator.generated.ts, from
 * config/config-validator-source.ts; a test keeps it in sync with the schema): the same checks and errors
 * as `new Ajv({ strict: false }).compile(ProviderPreferences)`, without loading ajv at start-up.
 */
const validate = generatedValidator as unknown as ((data: unknown) => data is ProviderPreferences) & { errors?: ErrorObject[] | null }

/** Read and check the `provider` field of a request body (400 on a bad shape). */
export function providerPreferences(body: Readonly<Record<string, unknown>>): ProviderPreferences | undefined {
  const value = body.provider
  if (value === undefined) return undefined
  if (!validate(value)) {
    const error = validate.errors![0]!
    const where = `provider${error.instancePath.replaceAll('/', '.')}`
    throw GatewayError.invalidRequest(`Invalid value for '${where}': ${error.message ?? 'does not match'}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}.`, where, 'invalid_value')
  }
  return value
}

/** Whether a preference list names this provider (by config name or provider id). */
export function names(list: readonly string[] | undefined, providerName: string, providerId: string): boolean {
  return list !== undefined && (list.includes(providerName) || list.includes(providerId))
}
