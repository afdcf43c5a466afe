import { Type, type Static } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import { GatewayError } from '../errors/gateway-error.js'

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

const validate = new Ajv({ strict: false }).compile<ProviderPreferences>(ProviderPreferences)

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
