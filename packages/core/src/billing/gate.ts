import type { LedgerStoreV1, SpendCap, SpendCaps } from '../contracts/ledger-store.js'
import type { StateStoreV1 } from '../contracts/state-store.js'
import type { Usage } from '../contracts/usage.js'
import type { UsageEvent } from '../contracts/usage-event.js'
import { GatewayError } from '../errors/gateway-error.js'
import { costOf, type Cost, type Price } from '../pricing/pricing.js'
import type { KeyAuthority, Principal } from './key-authority.js'
import { presentedKey } from './keys.js'
import type { LimitHeaders, Limits, RateLimiter } from './rate-limiter.js'
import type { UsageWriter } from './usage-writer.js'

export interface BillingSettings {
  readonly authEnabled: boolean
  /** Added on top of the upstream cost (0.1 = 10 %). */
  readonly margin: number
  /** Output tokens assumed for the reservation when the request sets no maximum. */
  readonly defaultMaxOutputTokens: number
  /** Models with no known price: serve them (cost reported as missing) or refuse them. */
  readonly unpriced: 'allow' | 'deny'
  /** `sync`: a non-streamed answer waits for its debit to be stored, so a 200 means billed durably. */
  readonly settlement: 'sync' | 'async'
}

export interface AdmitInput {
  readonly requestId: string
  readonly header: (name: string) => string | undefined
  readonly models: readonly string[]
  readonly body: Readonly<Record<string, unknown>>
  readonly bodyChars: number
  /** The most expensive price among the deployments that may serve these models. */
  readonly worstPrice: Price | undefined
  readonly now: number
}

export interface FinishInput {
  readonly status: number
  readonly usage?: Usage
  readonly price?: Price
  /** `costOf(usage, price)` when the caller computed it already (for the receipt headers). */
  readonly cost?: Cost
  readonly event: Omit<UsageEvent, 'specificationVersion' | 'requestId' | 'usage' | 'cost' | 'status' | 'keyId' | 'projectId' | 'accountId' | 'idempotencyKey'>
  /**
   * The gateway's own time on the request (`timings.overheadMs`), read once, after the settlement
   * (under sync settlement the answer waited for it, so it counts), and returned on the receipt.
   */
  readonly overheadMs?: () => number | undefined
}

export interface Receipt {
  readonly billedMicroUsd: number
  readonly upstreamMicroUsd: number
  readonly missingPrice: boolean
  /** `FinishInput.overheadMs`, as read after the settlement. */
  readonly overheadMs?: number
}

const capsOf = (scope: SpendCap['scope'], caps: SpendCaps | undefined): SpendCap[] => {
  if (!caps) return []
  const out: SpendCap[] = []
  if (caps.daily !== undefined) out.push({ scope, period: 'day', limitMicroUsd: caps.daily })
  if (caps.monthly !== undefined) out.push({ scope, period: 'month', limitMicroUsd: caps.monthly })
  if (caps.total !== undefined) out.push({ scope, period: 'total', limitMicroUsd: caps.total })
  return out
}

/**
 * A principal's rate limits and spend caps, worked out once per principal object: the key
 * authority hands out the same object until its cache entry is refreshed (a new object), so
 * requests of one key share them instead of building the same arrays and objects each time.
 */
const perPrincipal = new WeakMap<Principal, { limits: Limits; caps: readonly SpendCap[] }>()

function settingsOf(principal: Principal): { limits: Limits; caps: readonly SpendCap[] } {
  let settings = perPrincipal.get(principal)
  if (!settings) {
    const { key } = principal
    settings = {
      limits: { ...(key.rpm ? { rpm: key.rpm } : {}), ...(key.tpm ? { tpm: key.tpm } : {}) },
      caps: [...capsOf('key', key.spendCapMicroUsd), ...capsOf('project', principal.project?.spendCapMicroUsd), ...capsOf('account', principal.account?.spendCapMicroUsd)],
    }
    perPrincipal.set(principal, settings)
  }
  return settings
}

/** Input tokens of a body, over-estimated (about three characters a token) so holds are never short. */
export function estimateInputTokens(chars: number): number {
  return Math.ceil(chars / 3)
}

function maxOutputTokens(body: Readonly<Record<string, unknown>>, fallback: number): number {
  for (const field of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const v = body[field]
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v
  }
  return fallback
}

const REPLAY_PREFIX = 'responses/'

export interface StoredResponse {
  readonly body: string
  readonly contentType: string
}

/** Thrown by `admit` when an Idempotency-Key was completed before: answer with this, bill nothing. */
export class ReplayAnswer {
  constructor(readonly response: StoredResponse) {}
}

/**
 * One admitted request: who pays, what is held, and how it ends (settle or release, usage event).
 * `finish` is idempotent; it runs once whatever happens to the client.
 */
export class Admission {
  private finished: Promise<Receipt> | undefined

  constructor(
    private readonly gate: Gate,
    readonly requestId: string,
    readonly ledgerRequestId: string,
    readonly principal: Principal | undefined,
    readonly idempotencyKey: string | undefined,
    readonly rateLimitHeaders: Readonly<Record<string, string>>,
    readonly estimatedTokens: number,
    readonly reservedMicroUsd: number,
  ) {}

  finish(input: FinishInput): Promise<Receipt> {
    return (this.finished ??= this.gate.finish(this, input))
  }

  /** Keep a finished response so a retry with the same Idempotency-Key gets it instead of a new bill. */
  async remember(body: string, contentType: string): Promise<void> {
    if (this.idempotencyKey) await this.gate.state?.save(REPLAY_PREFIX + this.ledgerRequestId, JSON.stringify({ body, contentType } satisfies StoredResponse))
  }
}

/**
 * The request gate: authenticate the key, apply its scopes, model allow-list and RPM/TPM, then
 * reserve the worst-case cost against the balance and every spend cap, atomically, in the ledger.
 * After the response, `finish` settles the real cost (plus margin) and queues the usage event.
 */
export class Gate {
  constructor(
    readonly settings: BillingSettings,
    private readonly ledger: LedgerStoreV1 | undefined,
    readonly state: StateStoreV1 | undefined,
    private readonly keys: KeyAuthority | undefined,
    private readonly limiter: RateLimiter | undefined,
    private readonly writer: UsageWriter | undefined,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  async admit(input: AdmitInput): Promise<Admission> {
    const idempotencyKey = input.header('idempotency-key')
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw GatewayError.invalidRequest('Idempotency-Key must be 1 to 255 characters.', 'Idempotency-Key', 'invalid_header')
    }
    const estimatedTokens = estimateInputTokens(input.bodyChars) + maxOutputTokens(input.body, this.settings.defaultMaxOutputTokens)
    if (!this.settings.authEnabled || !this.keys || !this.ledger) {
      return new Admission(this, input.requestId, idempotencyKey ? `idem:anon:${idempotencyKey}` : input.requestId, undefined, idempotencyKey, {}, estimatedTokens, 0)
    }
    const principal = await this.keys.authenticate(presentedKey(input.header))
    const { key } = principal
    if (key.scopes.length > 0 && !key.scopes.includes('*') && !key.scopes.includes('chat')) {
      throw new GatewayError({ status: 403, type: 'permission_error', code: 'missing_scope', message: `This key lacks the "chat" scope (it has: ${key.scopes.join(', ')}).` })
    }
    const refused = key.models ? input.models.find((m) => !key.models!.includes(m)) : undefined
    if (refused) throw new GatewayError({ status: 403, type: 'permission_error', code: 'model_not_allowed', param: 'model', message: `This key may not use the model "${refused}". Allowed: ${key.models!.join(', ')}.` })

    const ledgerRequestId = idempotencyKey ? `idem:${key.id}:${idempotencyKey}` : input.requestId
    const settings = settingsOf(principal)
    let headers: LimitHeaders = {}
    if (this.limiter) {
      // Synchronous with the in-process counter store (no promise to wait for), a promise otherwise.
      const limited = this.limiter.admit(key.id, key.prefix, settings.limits, estimatedTokens)
      headers = limited instanceof Promise ? await limited : limited
    }

    const price = input.worstPrice
    if (!price && this.settings.unpriced === 'deny') {
      throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'unpriced_model', param: 'model', message: `No price is known for ${input.models.join(', ')}, and this gateway refuses unpriced models (billing.unpriced: deny).` })
    }
    const estimate = price ? Math.ceil(costOf({ inputTokens: estimateInputTokens(input.bodyChars), outputTokens: maxOutputTokens(input.body, this.settings.defaultMaxOutputTokens) }, price).upstreamMicroUsd * (1 + this.settings.margin)) : 0
    const caps = settings.caps
    const result = await this.ledger.reserve(key.accountId, ledgerRequestId, estimate, {
      keyId: key.id,
      ...(key.projectId ? { projectId: key.projectId } : {}),
      caps,
      now: input.now,
      // The gateway's own request id, made for this request: nothing was settled under it.
      fresh: !idempotencyKey,
    })
    if (!result.ok) {
      if (result.reason === 'already-settled') {
        // Billed already: answer with the stored response (or say so), never call upstream again.
        const stored = this.state ? await this.state.load(REPLAY_PREFIX + ledgerRequestId) : undefined
        if (stored) throw new ReplayAnswer(JSON.parse(stored) as StoredResponse)
        throw new GatewayError({ status: 409, type: 'invalid_request_error', code: 'idempotent_request_completed', message: 'A request with this Idempotency-Key was already completed and billed.' })
      }
      if (result.reason === 'insufficient-credits') {
        throw new GatewayError({ status: 402, type: 'insufficient_quota', code: 'insufficient_credits', message: `Not enough credits: this request may cost up to $${(estimate / 1e6).toFixed(6)}, the account has $${(result.availableMicroUsd / 1e6).toFixed(6)} available.` })
      }
      throw new GatewayError({ status: 402, type: 'insufficient_quota', code: 'spend_cap_exceeded', message: `The ${result.cap.scope} ${result.cap.period === 'total' ? 'total' : result.cap.period === 'day' ? 'daily' : 'monthly'} spend cap of $${(result.cap.limitMicroUsd / 1e6).toFixed(6)} would be exceeded ($${(result.spentMicroUsd / 1e6).toFixed(6)} spent or held).` })
    }
    if (!result.created) {
      throw new GatewayError({ status: 409, type: 'invalid_request_error', code: 'idempotent_request_in_progress', message: 'A request with this Idempotency-Key is still in progress.' })
    }
    return new Admission(this, input.requestId, ledgerRequestId, principal, idempotencyKey, headers, estimatedTokens, estimate)
  }

  /** Settle (or release) and queue the usage event. Errors are reported, never thrown at the client. */
  async finish(admission: Admission, input: FinishInput): Promise<Receipt> {
    const cost = input.usage ? (input.cost ?? costOf(input.usage, input.price)) : undefined
    const upstream = cost?.upstreamMicroUsd ?? 0
    const billed = Math.round(upstream * (1 + this.settings.margin))
    const key = admission.principal?.key
    try {
      if (key && this.ledger) {
        if (input.usage && billed > 0) await this.ledger.settle(key.accountId, admission.ledgerRequestId, billed, key.projectId ? { keyId: key.id, projectId: key.projectId } : { keyId: key.id })
        else await this.ledger.release(key.accountId, admission.ledgerRequestId)
        if (this.limiter && key.tpm && input.usage) {
          const actual = (input.usage.inputTokens ?? 0) + (input.usage.outputTokens ?? 0)
          const corrected = this.limiter.correctTokens(key.id, actual - admission.estimatedTokens, this.now())
          if (corrected) await corrected
        }
      }
    } catch (error) {
      this.onError(error)
    }
    const overheadMs = input.overheadMs?.()
    if (this.writer) {
      // Built field by field rather than from conditional spreads (no temporary objects per field);
      // the key order is the one the event has always had.
      const event: Record<string, unknown> = { specificationVersion: 'mesh.usage.v1', requestId: admission.requestId }
      if (admission.idempotencyKey) event.idempotencyKey = admission.idempotencyKey
      if (key) {
        event.keyId = key.id
        event.accountId = key.accountId
        if (key.projectId) event.projectId = key.projectId
      }
      Object.assign(event, input.event)
      if (overheadMs !== undefined) event.timings = Object.assign({}, input.event.timings, { overheadMs })
      event.usage = input.usage ?? {}
      if (cost) event.cost = { upstreamMicroUsd: upstream, marginMicroUsd: billed - upstream, billedMicroUsd: billed, pricingVersion: cost.pricingVersion, missingPrice: cost.missingPrice }
      event.status = input.status
      this.writer.push(event as unknown as UsageEvent)
    }
    return { billedMicroUsd: billed, upstreamMicroUsd: upstream, missingPrice: cost?.missingPrice ?? false, ...(overheadMs !== undefined ? { overheadMs } : {}) }
  }
}
