// The parts of Anthropic's Messages wire format this module reads and writes. Loosely typed on
// purpose: Anthropic adds block and delta types regularly, so every field is optional and checked.

export interface AnthropicUsage {
  /** Input tokens after the last cache breakpoint: cached and cache-written tokens are not included. */
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  output_tokens_details?: { thinking_tokens?: number | null } | null
  [field: string]: unknown
}

export interface AnthropicContentBlock {
  type: string
  text?: string
  thinking?: string
  signature?: string
  data?: string
  id?: string
  name?: string
  input?: unknown
  [field: string]: unknown
}

/** A non-streaming `message` object. */
export interface AnthropicMessage {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicContentBlock[]
  stop_reason: string | null
  stop_sequence: string | null
  usage: AnthropicUsage
  [field: string]: unknown
}

/** Anthropic's error body, also the data of an in-stream `event: error`. */
export interface AnthropicErrorBody {
  type: 'error'
  error: { type: string; message: string; [field: string]: unknown }
  request_id?: string | null
}
