import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Billing } from '../billing/create-billing.js'
import type { MeshEngine } from '../engine/mesh-engine.js'
import { GatewayError } from '../errors/gateway-error.js'
import { createAdminApp } from './admin.js'
import { asGatewayError, openAIErrorResponse } from './errors.js'
import { newRequestId } from '../ids/time-ordered-id.js'
import { dialectError, handleChat } from './chat-handler.js'
import type { IngressDialect } from '../dialects/ingress-dialect.js'
import { openAIChatIngress } from '../dialects/openai-chat/ingress.js'
import { anthropicMessagesIngress } from '../dialects/anthropic-messages/ingress.js'
import { handleCountTokens } from './count-tokens.js'

export interface AppRuntime {
  /** Resolves once secrets are resolved and the engine is built; rejects when start-up failed. */
  readonly engine: Promise<MeshEngine>
  readonly publicModels: readonly string[]
  readonly bodyLimitBytes: number
  readonly startedAt: number
  /** Called with unexpected errors (never with secrets in them); defaults to console.error. */
  readonly onError: (error: unknown, requestId: string) => void
  readonly billing: Billing
  /** The gateway's clock (epoch ms); replaceable in tests. */
  readonly now: () => number
  /** SHA-256 (hex) of the admin credential; undefined disables `/admin/v1`. */
  readonly adminKeyHash: Promise<string | undefined>
  /** Called once per finished request, after the response is complete. */
  readonly onComplete?: (record: CompletionRecord) => void
}

export interface CompletionRecord {
  readonly requestId: string
  readonly status: number
  readonly stream: boolean
  readonly error?: string
}

/** The Hono app of the gateway: OpenAI-compatible routes plus health and readiness. */
export function createApp(runtime: AppRuntime): Hono {
  const app = new Hono()
  let engineState: 'starting' | 'ready' | Error = 'starting'
  runtime.engine.then(
    () => (engineState = 'ready'),
    (error: Error) => (engineState = error),
  )

  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/ready', (c) => {
    if (engineState === 'ready') return c.json({ status: 'ready' })
    if (engineState === 'starting') return c.json({ status: 'starting' }, 503)
    return c.json({ status: 'failed', error: engineState.message }, 503)
  })

  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: runtime.publicModels.map((id) => ({ id, object: 'model', created: Math.floor(runtime.startedAt / 1000), owned_by: 'modelmesh' })),
    }),
  )

  const limit = (ingress: IngressDialect) =>
    bodyLimit({
      maxSize: runtime.bodyLimitBytes,
      onError: (c) =>
        dialectError(c, ingress, new GatewayError({ status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `The request body is larger than the gateway's limit of ${runtime.bodyLimitBytes} bytes.` }), newRequestId()),
    })
  // One handler for every chat dialect: the ingress parses, translates and renders errors its own way.
  for (const [path, ingress] of [['/v1/chat/completions', openAIChatIngress], ['/v1/messages', anthropicMessagesIngress]] as const) {
    // The handler enforces the body limit itself while reading (see read-body.ts).
    app.post(path, (c) => handleChat(c, ingress, runtime))
  }
  app.post('/v1/messages/count_tokens', limit(anthropicMessagesIngress), (c) => handleCountTokens(c, runtime))

  app.route('/admin/v1', createAdminApp(runtime))

  app.notFound((c) =>
    openAIErrorResponse(c, new GatewayError({ status: 404, type: 'not_found_error', code: 'unknown_route', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }), newRequestId()),
  )
  app.onError((error, c) => {
    const requestId = newRequestId()
    runtime.onError(error, requestId)
    return openAIErrorResponse(c, asGatewayError(error), requestId)
  })
  return app
}
