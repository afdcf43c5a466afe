export { openai, OPENAI_CAPABILITIES } from './openai.js'
export {
  groq,
  together,
  fireworks,
  deepseek,
  xai,
  mistral,
  openrouter,
  ollama,
  vllm,
  lmstudio,
  openaiCompatible,
  OPENAI_COMPATIBLE_PRESETS,
  type OpenAICompatiblePreset,
  type OpenAICompatiblePresetId,
} from './presets.js'
export { azureOpenAI, azureURL, AZURE_DEFAULT_API_VERSION } from './azure.js'
export { classifyOpenAIError, retryAfter } from './classify-error.js'
export type { OpenAIBaseOptions, OpenAIProviderOptions, OpenAIPresetOptions, OpenAICompatibleOptions, AzureOpenAIOptions } from './options.js'
