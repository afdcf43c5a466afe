import type { ErrorObject } from 'ajv'
import { pointerToPath } from '../../config/issues.js'
import { GatewayError } from '../../errors/gateway-error.js'
import type { ParsedIngressRequest } from '../ingress-dialect.js'
import { validate as generatedValidator } from './request-validator.generated.js'

/**
 * anthropicMessagesRequestSchema (schema.ts) compiled by ajv ahead of time (request-validator.generated.ts,
 * from config/config-validator-source.ts; a test keeps it in sync with the schema): the same checks and
 * errors as `new Ajv({ allErrors: false, strict: false }).compile(anthropicMessagesRequestSchema)`,
 * without loading ajv or compiling the schema at start-up.
 */
const validateMessagesBody = generatedValidator as unknown as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

// Anthropic words its validation errors as `<path>: <problem>`; the same here, with our path syntax.
function validationMessage(error: ErrorObject): { message: string; param: string } {
  const pointer = error.keyword === 'required' ? `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}` : error.instancePath
  const param = pointerToPath(pointer)
  if (error.keyword === 'required') return { param, message: `${param}: Field required` }
  return { param, message: `${param || 'body'}: ${error.message ?? 'does not match the schema'}` }
}

/**
 * Parse and validate an Anthropic Messages body once (`POST /v1/messages`). Everything the gateway
 * needs (models, stream flag) is read here; nothing reaches an upstream unless this succeeds.
 */
export function parseAnthropicMessagesRequest(text: string): ParsedIngressRequest {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw GatewayError.invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw GatewayError.invalidRequest('The request body must be a JSON object.', null, 'invalid_json')
  }
  if (!validateMessagesBody(body)) {
    const { message, param } = validationMessage(validateMessagesBody.errors![0]!)
    throw GatewayError.invalidRequest(message, param, 'invalid_value')
  }
  const record = body as unknown as Record<string, unknown>
  const fallbacks = Array.isArray(record.models) ? (record.models as string[]) : []
  const models = [...new Set([record.model as string, ...fallbacks])]
  return { body: record, models, stream: record.stream === true }
}
