import { ConfigError, type ModelInfo, type ProviderV1 } from '@modelmesh/core'
import { OPENAI_CAPABILITIES } from './openai.js'
import { checkBaseURL, descriptorOptions, type AzureOpenAIOptions } from './options.js'
import { createOpenAICompatibleProvider } from './provider.js'

/** The `api-version` used when none is given: a GA version with streamed usage and structured outputs. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21'

/**
 * Azure OpenAI (id `azure`): deployment-based URLs
 * `https://<resource>.openai.azure.com/openai/deployments/<deployment>/<operation>?api-version=<v>`
 * and the `api-key` header. The upstream model id names the deployment through `deployments`
 * (or is the deployment name itself). `listModels` returns the configured deployments and models
 * without a network call, because Azure lists base models rather than your deployments.
 *
 * @example
 * azureOpenAI({ resourceName: 'acme-east', deployments: { 'gpt-4o': 'gpt4o-prod' }, keys: [secret('AZURE_OPENAI_API_KEY')] })
 */
export function azureOpenAI(options: AzureOpenAIOptions): ProviderV1 {
  const base = `${azureEndpoint(options)}/openai`.replace(/\/openai\/openai$/, '/openai')
  const apiVersion = encodeURIComponent(options.apiVersion ?? AZURE_DEFAULT_API_VERSION)
  const deployments = options.deployments ?? {}
  const models: Record<string, ModelInfo> = {
    ...Object.fromEntries(Object.keys(deployments).map((id) => [id, { id }])),
    ...options.models,
  }
  return createOpenAICompatibleProvider({
    id: 'azure',
    factory: 'azureOpenAI',
    options: descriptorOptions(options),
    baseURL: base,
    keys: options.keys ?? [{ $secret: 'AZURE_OPENAI_API_KEY' }],
    capabilities: options.capabilities ?? OPENAI_CAPABILITIES,
    models,
    ...(options.headers && { headers: options.headers }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    auth: 'api-key',
    maxTokensField: 'max_completion_tokens',
    streamUsage: true,
    staticModelList: true,
    operationURL: (operation, model) => azureURL(base, operation, model === undefined ? undefined : (deployments[model] ?? model), apiVersion),
  })
}

/** The URL of one Azure OpenAI operation (exported for tests and for tools that print it). */
export function azureURL(base: string, operation: string, deployment: string | undefined, apiVersion: string): string {
  const path = deployment === undefined ? operation : `deployments/${encodeURIComponent(deployment)}/${operation}`
  return `${base}/${path}?api-version=${apiVersion}`
}

function azureEndpoint(options: AzureOpenAIOptions): string {
  if (options?.baseURL !== undefined) return checkBaseURL(options.baseURL, 'azureOpenAI')
  const resource = options?.resourceName
  if (typeof resource !== 'string' || !/^[a-z0-9][a-z0-9-]*$/i.test(resource)) {
    throw new ConfigError([{
      path: 'azureOpenAI().resourceName',
      expected: 'the Azure OpenAI resource name (letters, digits, -), or a baseURL',
      found: JSON.stringify(resource),
      hint: 'it is the <name> in https://<name>.openai.azure.com',
    }])
  }
  return `https://${resource}.openai.azure.com`
}
