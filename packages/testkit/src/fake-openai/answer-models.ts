import type { ServerResponse } from 'node:http'
import { sendJson } from '../fake-shared/http-io.js'
import { openAIError } from './openai-errors.js'
import type { FakeModel } from './types.js'

const DEFAULT_CREATED = 1_700_000_000

export const DEFAULT_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o']

export function normaliseModels(models: ReadonlyArray<string | FakeModel>): Array<Required<FakeModel>> {
  return models.map((model) => {
    const entry = typeof model === 'string' ? { id: model } : model
    return { id: entry.id, created: entry.created ?? DEFAULT_CREATED, owned_by: entry.owned_by ?? 'openai' }
  })
}

/** `GET /v1/models` and `GET /v1/models/{id}`. */
export function answerModels(
  res: ServerResponse,
  models: Array<Required<FakeModel>>,
  modelId: string | undefined,
  status: number,
  headers: Record<string, string>,
): void {
  const toObject = (model: Required<FakeModel>) => ({ id: model.id, object: 'model', created: model.created, owned_by: model.owned_by })
  if (modelId === undefined) {
    sendJson(res, status, { object: 'list', data: models.map(toObject) }, headers)
    return
  }
  const model = models.find((candidate) => candidate.id === modelId)
  if (!model) {
    sendJson(res, 404, openAIError(`The model '${modelId}' does not exist`, 'invalid_request_error', 'model_not_found', 'model'), headers)
    return
  }
  sendJson(res, status, toObject(model), headers)
}
