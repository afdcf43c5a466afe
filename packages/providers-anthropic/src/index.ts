export { anthropic, ANTHROPIC_CAPABILITIES } from './provider.js'
export { classifyAnthropicError, retryAfter } from './classify-error.js'
export type { AnthropicProviderOptions } from './options.js'
