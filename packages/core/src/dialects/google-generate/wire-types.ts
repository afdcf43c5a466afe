// The parts of the Gemini `generateContent` wire format (Gemini API and Vertex AI) this module reads
// and writes. Loosely typed on purpose: every field is optional and checked.

export interface GooglePart {
  text?: string
  thought?: boolean
  thoughtSignature?: string
  inlineData?: { mimeType: string; data: string }
  fileData?: { mimeType?: string; fileUri: string }
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string }
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string }
  [field: string]: unknown
}

export interface GoogleContent {
  role?: 'user' | 'model' | string
  parts: GooglePart[]
}

export interface GoogleUsageMetadata {
  /** Every prompt token, cached ones included. */
  promptTokenCount?: number
  /** Tokens of the answer, thoughts excluded. */
  candidatesTokenCount?: number
  /** Prompt tokens served from (implicit or explicit) cached content. */
  cachedContentTokenCount?: number
  thoughtsTokenCount?: number
  toolUsePromptTokenCount?: number
  totalTokenCount?: number
  [field: string]: unknown
}

export interface GoogleCandidate {
  content?: GoogleContent
  finishReason?: string
  index?: number
  safetyRatings?: unknown[]
  [field: string]: unknown
}

/** A `GenerateContentResponse`: the whole answer, or one chunk of a stream. */
export interface GoogleGenerateContentResponse {
  candidates?: GoogleCandidate[]
  promptFeedback?: { blockReason?: string; [field: string]: unknown }
  usageMetadata?: GoogleUsageMetadata
  modelVersion?: string
  responseId?: string
  [field: string]: unknown
}

/** Google's error body: `{ error: { code, message, status, details } }`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] }
}
