import type { ModelInfo, SecretRef } from '@modelmesh/core'

/** Options both Google providers take. All values must be JSON: they become the descriptor. */
export interface GoogleBaseOptions {
  /** Known models with pricing and limits, by upstream model id. */
  models?: Record<string, ModelInfo>
  /** Capability paths this provider serves; replaces the defaults. */
  capabilities?: string[]
  /** Extra headers on every upstream call. */
  headers?: Record<string, string>
  /** Milliseconds to wait for the upstream's response headers. */
  timeoutMs?: number
}

/** Options of `google()` (the Gemini API). */
export interface GoogleProviderOptions extends GoogleBaseOptions {
  /** API keys, one deployment per key; default the secret `GEMINI_API_KEY`. Sent as `x-goog-api-key`. */
  keys?: Array<SecretRef | string>
  /** Default `https://generativelanguage.googleapis.com/v1beta`. */
  baseURL?: string
}

/** A service account key as Google issues it (the JSON file), or the fields of it that are used. */
export interface ServiceAccountKey {
  client_email: string
  private_key: string
  private_key_id?: string
  token_uri?: string
  [field: string]: unknown
}

/** Options of `vertex()` (Gemini on Vertex AI). */
export interface VertexProviderOptions extends GoogleBaseOptions {
  /** Google Cloud project id. */
  project: string
  /** Region, e.g. `us-central1`, or `global`. */
  location: string
  /**
   * The service account: `secret('VERTEX_SA')` holding the key file's JSON (recommended), or the
   * JSON itself (text or object; it then ends up in the compiled config, so keep that for tests).
   * Several accounts give several deployments of each model.
   */
  serviceAccount: SecretRef | string | ServiceAccountKey | Array<SecretRef | string | ServiceAccountKey>
  /** Instead of the regional endpoint: a full base URL ending in `/publishers/google` (a proxy, a test fake). */
  baseURL?: string
  /** The OAuth token endpoint; default the key's `token_uri`, else `https://oauth2.googleapis.com/token`. */
  tokenURI?: string
}
