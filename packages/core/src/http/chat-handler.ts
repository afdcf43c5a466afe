import type { Context } from 'hono'
import type { Admission } from '../billing/gate.js'
import { ReplayAnswer } from '../billing/gate.js'
import type { IngressDialect } from '../dialects/ingress-dialect.js'
import type { ChatResult } from '../engine/mesh-engine.js'
import type { TextStream } from '../engine/stream-relay.js'
import { GatewayError } from '../errors/gateway-error.js'
import { UpstreamError } from '../errors/upstream-error.js'
import { costOf, type Cost } from '../pricing/pricing.js'
import type { AppRuntime } from './app.js'
import { asGatewayError } from './errors.js'
import { readBody } from './read-body.js'
import { requestTimeouts } from './request-options.js'
import { millisecondsText } from './number-text.js'
import { withUsageCost } from './usage-cost.js'
import { newRequestId } from '../ids/time-ordered-id.js'

/** What the chat handler needs from the transport: headers (lower-case names) and the body. */
export interface ChatRequestIO {
  header(name: string): string | undefined
  /** The body as text, at most `limit` bytes (a 413 GatewayError beyond). */
  readBody(limit: number): Promise<string>
}

/** A transport-neutral answer: the Hono route turns it into a `Response`, the Node listener writes it to the socket. */
export interface ChatReply {
  readonly status: number
  readonly headers: Record<string, string>
  /** The whole body, or SSE text pulled by the writer. */
  readonly body: string | TextStream
}

/** An error reply in the ingress dialect's own shape, with the gateway's headers. */
export function dialectErrorReply(ingress: IngressDialect, error: GatewayError, requestId: string): ChatReply {
  return { status: error.status, headers: { ...error.headers, 'content-type': 'application/json', 'x-mesh-request-id': requestId }, body: JSON.stringify(ingress.errorBody(error)) }
}

/** An error response in the ingress dialect's own shape, with the gateway's headers. */
export function dialectError(c: Context, ingress: IngressDialect, error: GatewayError, requestId: string): Response {
  return c.json(ingress.errorBody(error) as object, error.status as 400, { ...error.headers, 'x-mesh-request-id': requestId })
}

/** A reply as a web `Response` (fetch handler, Hono). */
export function replyResponse(reply: ChatReply): Response {
  return new Response(typeof reply.body === 'string' ? reply.body : reply.body.toReadableStream(), { status: reply.status, headers: reply.headers })
}

/** The Hono route: one chat request through the fetch API. */
export async function handleChat(c: Context, ingress: IngressDialect, runtime: AppRuntime): Promise<Response> {
  const io: ChatRequestIO = { header: (name) => c.req.header(name), readBody: (limit) => readBody(c, limit) }
  return replyResponse(await serveChat(io, ingress, runtime))
}

const usd = (micro: number) => (micro / 1e6).toFixed(6)

/**
 * Put the billed cost into a JSON answer's `usage.cost` (USD), as OpenRouter-style clients read it,
 * leaving the rest of the upstream's bytes as they were (the engine parsed the body already).
 */
function withCost(text: string, json: Readonly<Record<string, unknown>> | undefined, billedMicroUsd: number): string {
  const usage = json?.usage
  if (!json || !usage || typeof usage !== 'object' || Array.isArray(usage)) return text
  return withUsageCost(text, json, billedMicroUsd / 1e6)
}

/** Milliseconds with µs precision. */
const ms3 = (ms: number) => Math.round(ms * 1000) / 1000

function usageEvent(ingress: IngressDialect, models: readonly string[], stream: boolean, startedAt: number, result: ChatResult | undefined, clientDisconnected = false, firstTokenMs?: number) {
  return {
    ingress: ingress.name,
    requestedModel: models[0] ?? '',
    ...(result ? { servedBy: { provider: result.deployment.provider, model: result.deployment.model, deployment: result.deployment.id } } : {}),
    stream,
    attempts: (result?.attempts ?? []).map((a) => ({ deployment: a.deployment.id, provider: a.deployment.provider, model: a.deployment.model, outcome: a.ok ? ('success' as const) : ('error' as const), ...(a.status !== undefined ? { status: a.status } : {}), reason: a.reason, durationMs: a.durationMs })),
    timings: firstTokenMs === undefined ? { startedAt, totalMs: Date.now() - startedAt } : { startedAt, firstTokenMs, totalMs: Date.now() - startedAt },
    ...(clientDisconnected ? { clientDisconnected } : {}),
  }
}

/**
 * One chat request, whatever the ingress dialect: parse once, admit (key, limits, reservation),
 * route and attempt, answer with receipts, then settle and record usage off the response path.
 */
export async function serveChat(io: ChatRequestIO, ingress: IngressDialect, runtime: AppRuntime): Promise<ChatReply> {
  const requestId = newRequestId()
  const startedAt = Date.now()
  const startedHiRes = performance.now()
  let admission: Admission | undefined
  let models: readonly string[] = []
  let stream = false
  try {
    const text = await io.readBody(runtime.bodyLimitBytes)
    // The gateway's overhead counts from here: reading the body waits for the client.
    const bodyReadAt = performance.now()
    const parsed = ingress.parseRequest(text)
    models = parsed.models
    stream = parsed.stream
    const engine = await runtime.engine
    const header = io.header
    admission = await runtime.billing.gate.admit({ requestId, header, models, body: parsed.body, bodyChars: text.length, worstPrice: engine.planner.worstPrice(models), now: runtime.now() })
    const sessionId = header('x-session-id')
    const timeouts = requestTimeouts(header)
    const result = await engine.chat({ ingress, body: parsed.body, models, stream, requestId, ...(sessionId ? { sessionId } : {}), ...(timeouts ? { timeouts } : {}) })
    const price = engine.planner.priceOf(result.deployment)
    // Copied with Object.assign, then added to: on Node 20's V8 each property added to a spread
    // copy (`{ ...rateLimitHeaders, … }`) takes a slow path, ~5 µs for these six.
    const headers: Record<string, string> = Object.assign({}, admission.rateLimitHeaders)
    headers['content-type'] = result.contentType
    headers['x-mesh-request-id'] = requestId
    headers['x-mesh-receipt-id'] = requestId
    headers['x-mesh-provider'] = result.deployment.provider
    headers['x-mesh-model'] = result.deployment.model
    headers['x-mesh-attempts'] = String(result.attempts.length)
    if (result.warnings?.length) headers['x-mesh-warnings'] = result.warnings.join('; ')
    const admitted = admission
    /** Time on the request that was not spent waiting for the upstream, until now. */
    const overheadNow = () => ms3(performance.now() - bodyReadAt - result.upstreamMs)
    const finish = (outcome: Awaited<ChatResult['completion']>, cost: Cost | undefined, overheadMs: () => number | undefined, firstTokenMs?: number) =>
      admitted.finish({ status: result.status, usage: outcome.usage, price, cost, overheadMs, event: usageEvent(ingress, models, stream, startedAt, result, outcome.clientDisconnected, firstTokenMs) })
    if (typeof result.body !== 'string') {
      headers['cache-control'] = 'no-cache'
      headers['x-accel-buffering'] = 'no'
      // The first chunk is in hand (the attempt returned after it): what the client waits for now
      // is the socket write. Overhead of a stream = until its first chunk, without the upstream's wait.
      const overheadMs = overheadNow()
      const firstTokenMs = ms3(performance.now() - startedHiRes)
      headers['x-mesh-overhead-ms'] = millisecondsText(overheadMs)
      // Billed when the upstream finishes, even if the client has left by then.
      void result.completion
        .then((outcome) => {
          // The client got an in-band error event; the operator gets the reason in the log.
          if (outcome.error) runtime.onError(new UpstreamError({ message: `stream from ${result.deployment.id} ended early: ${outcome.error}` }), requestId)
          return finish(outcome, undefined, () => overheadMs, firstTokenMs)
        })
        .then(() => runtime.onComplete?.({ requestId, status: result.status, stream: true }))
      return { status: result.status, headers, body: result.body }
    }
    const outcome = await result.completion
    let body = result.body
    let cost: Cost | undefined
    if (outcome.usage && result.status === 200) {
      cost = costOf(outcome.usage, price)
      const billed = Math.round(cost.upstreamMicroUsd * (1 + runtime.billing.gate.settings.margin))
      headers['x-mesh-cost-usd'] = usd(billed)
      // The body is only rewritten for billed callers; an open gateway forwards the upstream's bytes.
      if (admission.principal) body = withCost(body, result.json, billed)
    }
    // With sync settlement a 200 is only sent once its debit is durable in the ledger, so the
    // overhead is read after the settlement; with async the answer leaves now.
    const sync = runtime.billing.gate.settings.settlement === 'sync'
    const answeredOverhead = sync ? undefined : overheadNow()
    const settled = finish(outcome, cost, sync ? overheadNow : () => answeredOverhead)
    const overheadMs = sync ? (await settled).overheadMs : answeredOverhead
    if (overheadMs !== undefined) headers['x-mesh-overhead-ms'] = millisecondsText(overheadMs)
    if (admission.idempotencyKey && result.status === 200) await admission.remember(body, result.contentType)
    void settled.then(() => runtime.onComplete?.({ requestId, status: result.status, stream: false }))
    return { status: result.status, headers, body }
  } catch (error) {
    if (error instanceof ReplayAnswer) {
      return { status: 200, headers: { 'content-type': error.response.contentType, 'x-mesh-request-id': requestId, 'x-mesh-idempotent-replay': 'true' }, body: error.response.body }
    }
    const gatewayError = asGatewayError(error)
    if (gatewayError.status >= 500 && gatewayError.type === 'api_error' && gatewayError.code === 'internal_error') runtime.onError(error, requestId)
    // Nothing was served: drop the hold, record the failed request (no content, no charge).
    if (admission) void admission.finish({ status: gatewayError.status, event: usageEvent(ingress, models, stream, startedAt, undefined) })
    return dialectErrorReply(ingress, gatewayError, requestId)
  }
}
