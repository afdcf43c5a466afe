export { startFakeOpenAI } from './server.js'
export { estimateTokens } from './chat-answer.js'
export type {
  Behavior,
  BehaviorInput,
  FakeModel,
  FakeOpenAIOptions,
  FakeToolCall,
  FakeUpstream,
  FakeUsage,
  RecordedCall,
} from './types.js'
