/** One request the fake received, as it arrived. */
export interface RecordedCall {
  /** HTTP method, upper-case. */
  readonly method: string
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string
  /** Path with the query string. */
  readonly url: string
  /** Request headers with lower-cased names (repeated headers joined with `, `). */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body, parsed; `undefined` when the body was empty or not valid JSON. */
  readonly body: unknown
  /** The body as received (UTF-8). */
  readonly rawBody: string
  /** `Date.now()` when the request arrived. */
  readonly time: number
}

/** A tool call the fake answers with. */
export interface FakeToolCall {
  /** Function name. */
  name: string
  /** Arguments as JSON text, or a value that is serialised with `JSON.stringify`. */
  arguments: string | Record<string, unknown>
  /** Tool call id; default `call_<random>`. */
  id?: string
}

/**
 * Token counts in OpenAI's words, for every fake: `prompt_tokens` counts every input token (cached
 * ones included) and `completion_tokens` every output token (reasoning included). Each fake expands
 * them into its own dialect's usage object.
 */
export interface FakeUsage {
  prompt_tokens: number
  completion_tokens: number
  /** Reported as `prompt_tokens_details.cached_tokens` (default 0). */
  cached_tokens?: number
  /** Reported as `completion_tokens_details.reasoning_tokens` (default 0). */
  reasoning_tokens?: number
  /**
   * Input tokens written to the prompt cache (part of `prompt_tokens`). OpenAI does not report them;
   * the Anthropic fake sends them as `cache_creation_input_tokens` (default 0).
   */
  cache_write_tokens?: number
}

/**
 * How the fake answers one request. Every field is optional; fields combine (e.g. `latencyMs`
 * with `status: 503`). Fields about the answer's content only apply to `POST /v1/chat/completions`;
 * `status`, `headers`, timing and connection faults apply to every endpoint.
 */
export interface Behavior {
  /**
   * Assistant text, or a template computed from the request. When neither `reply` nor `toolCalls`
   * is given, the fake echoes the last user message (`You said: …`).
   */
  reply?: string | ((call: RecordedCall) => string)
  /** Answer with these tool calls (after the text, if `reply` is also given). */
  toolCalls?: FakeToolCall[]
  /**
   * The finish reason in the fake's own dialect (`finish_reason` for OpenAI, `stop_reason` for
   * Anthropic, `finishReason` for Google); default: the dialect's tool-call reason when `toolCalls`
   * is given, else its normal stop.
   */
  finishReason?: string
  /**
   * Token usage. Default: `prompt_tokens = ceil(chars of the messages / 4)`,
   * `completion_tokens = ceil(chars of the answer / 4)`. `null` omits usage altogether (no `usage`
   * in the JSON answer, no usage chunk in a stream) to imitate upstreams that report none.
   */
  usage?: FakeUsage | null
  /** `model` in the answer; default the request's `model`. */
  model?: string

  /** HTTP status. 4xx/5xx answer with an error in the fake's dialect (OpenAI `{ error: { message, type, param, code } }`, …). */
  status?: number
  /** Error body to send instead of the default one: an object (sent as JSON) or raw text. */
  errorBody?: unknown
  /** Extra response headers (sent on success and error answers alike). */
  headers?: Record<string, string>
  /** Seconds, sent as the `Retry-After` header. */
  retryAfter?: number

  /** Wait this long before sending the response headers. */
  latencyMs?: number
  /** Wait this long between SSE chunks (streams only). */
  chunkDelayMs?: number
  /** Characters of text (and of tool-call arguments) per streamed delta; default 5. */
  chunkSize?: number

  /** Accept the request and never answer, until the client aborts or the fake is closed. */
  hang?: boolean
  /**
   * Stream: send this many SSE chunks, then destroy the socket without `[DONE]`.
   * JSON answer: send the headers and the first half of the body, then destroy the socket.
   */
  disconnectAfterChunks?: number
  /** Destroy the socket without sending anything (after `latencyMs`, if given). */
  disconnectBeforeHeaders?: boolean
  /**
   * JSON answer: status 200 with a body that is not valid JSON.
   * Stream: one `data: {not json` chunk in the middle of an otherwise valid stream.
   */
  malformed?: boolean
}

/** A behavior, or a function choosing one from the request (for templated answers). */
export type BehaviorInput = Behavior | ((call: RecordedCall) => Behavior)

/**
 * A running fake upstream. Dialect-neutral: fakes of other dialects (Anthropic, Google) implement
 * the same interface so conformance suites can drive any of them.
 */
export interface FakeUpstream {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** The base URL a client is configured with, e.g. `http://127.0.0.1:40123/v1`. */
  readonly baseURL: string
  readonly port: number
  /** Every request received since start (or the last {@link FakeUpstream.reset}), in order. */
  readonly calls: RecordedCall[]
  /** Requests received whose answer is not finished yet (hanging, streaming, waiting). */
  readonly inFlight: number
  /** Behaviors still queued. */
  readonly queued: number
  /** Enqueue behaviors; each request consumes the next one, in order. Returns `this`. */
  script(...behaviors: BehaviorInput[]): this
  /** Replace the behavior used when the queue is empty. Returns `this`. */
  setDefault(behavior: BehaviorInput): this
  /** Forget recorded calls and queued behaviors, and restore the initial default behavior. */
  reset(): void
  /** Stop listening and destroy every open connection (hanging requests included). Idempotent. */
  close(): Promise<void>
}
