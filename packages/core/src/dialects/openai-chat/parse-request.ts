import type { ErrorObject } from 'ajv'
import { GatewayError } from '../../errors/gateway-error.js'
import { pointerToPath } from '../../config/issues.js'
import { validate as generatedValidator } from './request-validator.generated.js'

/**
 * openAIChatRequestSchema (schema.ts) compiled by ajv ahead of time (request-validator.generated.ts,
 * from config/config-validator-source.ts; a test keeps it in sync with the schema): the same checks and
 * errors as `new Ajv({ allErrors: false, strict: false }).compile(openAIChatRequestSchema)`, without
 * loading ajv or compiling the schema at start-up.
 */
const validateChatBody = generatedValidator as unknown as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

export interface ParsedChatRequest {
  readonly body: Record<string, unknown>
  readonly models: string[]
  readonly stream: boolean
}

function validationMessage(error: ErrorObject): { message: string; param: string } {
  const pointer = error.keyword === 'required' ? `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}` : error.instancePath
  const param = pointerToPath(pointer)
  if (error.keyword === 'required') return { param, message: `Missing required parameter: '${param}'.` }
  return { param, message: `Invalid value for '${param || 'body'}': ${error.message ?? 'does not match the schema'}.` }
}

/**
 * Parse and validate a Chat Completions body once. Everything the gateway needs (models, stream
 * flag) is read here; nothing reaches an upstream unless this succeeds.
 */
export function parseOpenAIChatRequest(text: string): ParsedChatRequest {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw GatewayError.invalidRequest(`We could not parse the JSON body of your request: ${(error as Error).message}`, null, 'invalid_json')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw GatewayError.invalidRequest('The request body must be a JSON object.', null, 'invalid_json')
  }
  if (!validateChatBody(body)) {
    const { message, param } = validationMessage(validateChatBody.errors![0]!)
    throw GatewayError.invalidRequest(message, param, 'invalid_value')
  }
  const record = body as unknown as Record<string, unknown>
  const fallbacks = Array.isArray(record.models) ? (record.models as string[]) : []
  if (record.route !== undefined && record.route !== 'fallback') {
    throw GatewayError.invalidRequest(`Invalid value for 'route': only "fallback" is supported.`, 'route', 'invalid_value')
  }
  const models = [...new Set([...(typeof record.model === 'string' ? [record.model] : []), ...fallbacks])]
  if (models.length === 0) throw GatewayError.invalidRequest(`Missing required parameter: 'model'.`, 'model', 'missing_required_parameter')
  return { body: record, models, stream: record.stream === true }
}
