export * from './fake-openai/index.js'
export * from './conformance/index.js'
export * from './fake-anthropic/index.js'
export * from './fake-google/index.js'
