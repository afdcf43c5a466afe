export { startFakeAnthropic, type FakeAnthropicOptions } from './server.js'
export { anthropicUsage } from './message-answer.js'
