// The parts of OpenAI's response wire format this module reads and writes. Loosely typed on purpose:
// upstreams that claim compatibility differ in the details, so every field is optional and checked.

export interface OpenAIUsage {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number } | null
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number } | null
  /** DeepSeek's spelling of cached input tokens. */
  prompt_cache_hit_tokens?: number
  [field: string]: unknown
}

export interface OpenAIToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export interface OpenAIResponseMessage {
  role?: string
  content?: string | null
  refusal?: string | null
  tool_calls?: OpenAIToolCall[] | null
  function_call?: { name: string; arguments: string } | null
  reasoning_content?: string | null
  reasoning?: string | null
  [field: string]: unknown
}

/** A non-streaming `chat.completion` object. */
export interface OpenAIChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: Array<{ index: number; message: OpenAIResponseMessage; finish_reason: string | null; logprobs?: unknown }>
  usage?: OpenAIUsage
  system_fingerprint?: string | null
  service_tier?: string | null
  [field: string]: unknown
}

export interface OpenAIChunkToolCall {
  index: number
  id?: string
  type?: 'function'
  function?: { name?: string; arguments?: string }
}

/** One streamed `chat.completion.chunk` object. */
export interface OpenAIChatCompletionChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: Array<{
    index: number
    delta: {
      role?: string
      content?: string | null
      refusal?: string | null
      tool_calls?: OpenAIChunkToolCall[]
      reasoning_content?: string | null
      reasoning?: string | null
    }
    finish_reason: string | null
    logprobs?: unknown
  }>
  usage?: OpenAIUsage | null
  system_fingerprint?: string | null
  [field: string]: unknown
}

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [field: string]: unknown }
}
