import type { BehaviorInput } from '../fake-shared/types.js'

export type { Behavior, BehaviorInput, FakeToolCall, FakeUpstream, FakeUsage, RecordedCall } from '../fake-shared/types.js'

/** A model listed by `GET /v1/models`. */
export interface FakeModel {
  id: string
  /** Unix seconds; default a fixed date. */
  created?: number
  /** Default `openai`. */
  owned_by?: string
}

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** Port on 127.0.0.1; default 0 (an ephemeral port chosen by the OS). */
  port?: number
  /** Models listed by `GET /v1/models`; default `gpt-4o-mini` and `gpt-4o`. */
  models?: Array<string | FakeModel>
  /**
   * When given, every request must carry `Authorization: Bearer <one of these>`, otherwise the fake
   * answers 401 in OpenAI's error shape. When absent, any (or no) credential is accepted.
   */
  apiKeys?: string[]
  /** The behavior used when the script queue is empty; default: echo the last user message. */
  defaultBehavior?: BehaviorInput
}

