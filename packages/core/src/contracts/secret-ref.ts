import { Type, type Static } from '@sinclair/typebox'

/**
 * A reference to a secret, resolved at start-up through the configured secret stores.
 * Written `secret('NAME')` in TypeScript configs and `${secrets:NAME}` in YAML/JSON.
 * It is plain JSON so configs stay serialisable; the value itself never enters the IR.
 */
export const SecretRef = Type.Object({ $secret: Type.String({ minLength: 1 }) }, { additionalProperties: false })
export type SecretRef = Static<typeof SecretRef>

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'object' && value !== null && typeof (value as { $secret?: unknown }).$secret === 'string'
}
