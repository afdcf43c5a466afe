export * from './fake-openai/index.js'
export * from './conformance/index.js'
