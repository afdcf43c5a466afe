import type { Hono } from 'hono'
import type { SpendCaps, VirtualKeyRecord } from '../contracts/ledger-store.js'
import type { Billing } from '../billing/create-billing.js'
import { generateKey } from '../billing/keys.js'
import { parseDuration } from '../config/duration.js'
import { GatewayError } from '../errors/gateway-error.js'

type Json = Record<string, unknown>

const bad = (message: string, param: string) => GatewayError.invalidRequest(message, param, 'invalid_value')

/** USD given by an operator (decimal) → micro-USD (integer), the only unit money has inside. */
function microUsd(body: Json, usdField: string, microField = `${usdField}MicroUsd`): number | undefined {
  const micro = body[microField]
  if (micro !== undefined) {
    if (!Number.isSafeInteger(micro)) throw bad(`'${microField}' must be an integer number of micro-USD.`, microField)
    return micro as number
  }
  const usd = body[usdField]
  if (usd === undefined) return undefined
  if (typeof usd !== 'number' || !Number.isFinite(usd)) throw bad(`'${usdField}' must be a number of USD.`, usdField)
  return Math.round(usd * 1e6)
}

function caps(body: Json): SpendCaps | undefined {
  const raw = body.spendCap as Json | undefined
  if (raw === undefined) return undefined
  if (!raw || typeof raw !== 'object') throw bad(`'spendCap' must be { daily?, monthly?, total? } in USD.`, 'spendCap')
  const out: { daily?: number; monthly?: number; total?: number } = {}
  for (const period of ['daily', 'monthly', 'total'] as const) {
    const v = microUsd(raw, period)
    if (v !== undefined) out[period] = v
  }
  return out
}

const stringList = (body: Json, field: string): string[] | undefined => {
  const v = body[field]
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`'${field}' must be an array of strings.`, field)
  return v as string[]
}

const positiveInt = (body: Json, field: string): number | undefined => {
  const v = body[field]
  if (v === undefined) return undefined
  if (!Number.isInteger(v) || (v as number) < 1) throw bad(`'${field}' must be a positive integer.`, field)
  return v as number
}

/** The public view of a key: never the hash, never the plaintext. */
export function keyView(key: VirtualKeyRecord) {
  const { hash: _hash, ...rest } = key
  return rest
}

const newId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`

/** Accounts, projects, keys, credits and usage under `/admin/v1`. */
export function mountBillingAdmin(admin: Hono, billing: Billing, now: () => number): void {
  const body = async (c: { req: { json(): Promise<unknown> } }): Promise<Json> => {
    const value = await c.req.json().catch(() => undefined)
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw GatewayError.invalidRequest('The body must be a JSON object.', null, 'invalid_json')
    return value as Json
  }
  const ledger = billing.ledger

  admin.post('/accounts', async (c) => {
    const b = await body(c)
    const spendCap = caps(b)
    const account = { id: typeof b.id === 'string' ? b.id : newId('acct'), ...(typeof b.name === 'string' ? { name: b.name } : {}), ...(spendCap ? { spendCapMicroUsd: spendCap } : {}), createdAt: now() }
    await ledger.putAccount(account)
    return c.json(account, 201)
  })
  admin.get('/accounts/:id', async (c) => {
    const account = await ledger.getAccount(c.req.param('id'))
    if (!account) throw new GatewayError({ status: 404, type: 'not_found_error', message: `No account "${c.req.param('id')}".` })
    return c.json({ ...account, ...(await ledger.balance(account.id, now())) })
  })
  admin.post('/projects', async (c) => {
    const b = await body(c)
    if (typeof b.accountId !== 'string') throw bad(`Missing required parameter: 'accountId'.`, 'accountId')
    const spendCap = caps(b)
    const project = { id: typeof b.id === 'string' ? b.id : newId('proj'), accountId: b.accountId, ...(typeof b.name === 'string' ? { name: b.name } : {}), ...(spendCap ? { spendCapMicroUsd: spendCap } : {}), createdAt: now() }
    await ledger.putProject(project)
    return c.json(project, 201)
  })

  admin.post('/keys', async (c) => {
    const b = await body(c)
    if (typeof b.accountId !== 'string') throw bad(`Missing required parameter: 'accountId'.`, 'accountId')
    if (!(await ledger.getAccount(b.accountId))) throw bad(`No account "${b.accountId}": create it first (POST /admin/v1/accounts).`, 'accountId')
    const fresh = generateKey(b.mode === 'test' ? 'test' : 'live')
    const spendCap = caps(b)
    const models = stringList(b, 'models')
    const rpm = positiveInt(b, 'rpm')
    const tpm = positiveInt(b, 'tpm')
    const expiresAt = b.expiresIn !== undefined ? now() + parseDuration(b.expiresIn as string) : typeof b.expiresAt === 'number' ? b.expiresAt : undefined
    const record: VirtualKeyRecord = {
      id: newId('key'),
      hash: fresh.hash,
      prefix: fresh.prefix,
      accountId: b.accountId,
      ...(typeof b.projectId === 'string' ? { projectId: b.projectId } : {}),
      ...(typeof b.name === 'string' ? { name: b.name } : {}),
      scopes: stringList(b, 'scopes') ?? ['chat'],
      ...(models ? { models } : {}),
      ...(rpm ? { rpm } : {}),
      ...(tpm ? { tpm } : {}),
      ...(spendCap ? { spendCapMicroUsd: spendCap } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      createdAt: now(),
    }
    await ledger.putKey(record)
    // The plaintext exists only in this response.
    return c.json({ key: fresh.plaintext, ...keyView(record) }, 201)
  })
  admin.get('/keys', async (c) => {
    const accountId = c.req.query('accountId')
    const projectId = c.req.query('projectId')
    const keys = await ledger.listKeys({ ...(accountId ? { accountId } : {}), ...(projectId ? { projectId } : {}) })
    return c.json({ data: keys.map(keyView) })
  })
  admin.post('/keys/:id/revoke', async (c) => {
    const key = await ledger.revokeKey(c.req.param('id'), now())
    if (!key) throw new GatewayError({ status: 404, type: 'not_found_error', message: `No key "${c.req.param('id')}".` })
    await billing.keys.changed(key.hash)
    return c.json(keyView(key))
  })
  admin.post('/keys/:id/rotate', async (c) => {
    const b = await body(c).catch(() => ({}) as Json)
    const old = await ledger.getKey(c.req.param('id'))
    if (!old) throw new GatewayError({ status: 404, type: 'not_found_error', message: `No key "${c.req.param('id')}".` })
    const fresh = generateKey(old.prefix.startsWith('mk_test_') ? 'test' : 'live')
    const { hash: _h, prefix: _p, id: _i, revokedAt: _r, replacedBy: _rb, ...kept } = old
    const next: VirtualKeyRecord = { ...kept, id: newId('key'), hash: fresh.hash, prefix: fresh.prefix, createdAt: now() }
    const grace = parseDuration((b.gracePeriod as string | number | undefined) ?? '24h')
    const updated = await ledger.rotateKey(old.id, next, now() + grace)
    await billing.keys.changed(old.hash)
    return c.json({ key: fresh.plaintext, ...keyView(next), previous: updated ? keyView(updated) : undefined }, 201)
  })

  admin.post('/credits/:kind{grant|purchase|refund}', async (c) => {
    const b = await body(c)
    if (typeof b.accountId !== 'string') throw bad(`Missing required parameter: 'accountId'.`, 'accountId')
    const amount = microUsd(b, 'amountUsd', 'amountMicroUsd')
    if (amount === undefined || amount <= 0) throw bad(`'amountUsd' (or 'amountMicroUsd') must be positive.`, 'amountUsd')
    const kind = c.req.param('kind') as 'grant' | 'purchase' | 'refund'
    const result = await ledger.append({ accountId: b.accountId, kind, amountMicroUsd: amount, ...(typeof b.requestId === 'string' ? { requestId: b.requestId } : {}), ...(typeof b.note === 'string' ? { note: b.note } : {}) })
    return c.json({ ...result, balance: await ledger.balance(b.accountId, now()) }, result.created ? 201 : 200)
  })

  admin.get('/usage', async (c) => {
    const q = (name: string) => c.req.query(name)
    const num = (name: string) => (q(name) !== undefined ? Number(q(name)) : undefined)
    await billing.writer.flush()
    const events = await ledger.usage({
      ...(q('accountId') ? { accountId: q('accountId')! } : {}),
      ...(q('projectId') ? { projectId: q('projectId')! } : {}),
      ...(q('keyId') ? { keyId: q('keyId')! } : {}),
      ...(num('since') !== undefined ? { since: num('since')! } : {}),
      ...(num('until') !== undefined ? { until: num('until')! } : {}),
      ...(num('limit') !== undefined ? { limit: num('limit')! } : {}),
    })
    return c.json({ data: events })
  })

  // Deletes usage events on demand, as billing.usageRetention does on a timer: { before } (epoch ms)
  // or { olderThan } (a duration back from the gateway clock). Ledger entries are never touched.
  admin.post('/usage/prune', async (c) => {
    const b = await body(c)
    const before = pruneCutoff(b, now)
    const pruneUsage = ledger.pruneUsage
    if (typeof pruneUsage !== 'function') throw new GatewayError({ status: 501, type: 'api_error', code: 'not_supported', message: 'This ledger store cannot delete usage events (it has no pruneUsage).' })
    await billing.writer.flush()
    const deleted = await pruneUsage.call(ledger, before)
    return c.json({ deleted, before })
  })
}

/** The cutoff of a prune: exactly one of `before` (epoch ms) and `olderThan` (a duration before now). */
function pruneCutoff(body: Json, now: () => number): number {
  const { before, olderThan } = body
  if ((before === undefined) === (olderThan === undefined)) throw bad(`Give exactly one of 'before' (epoch milliseconds) and 'olderThan' (a duration such as "30d").`, before === undefined ? 'before' : 'olderThan')
  if (before !== undefined) {
    if (!Number.isSafeInteger(before) || (before as number) < 0) throw bad(`'before' must be epoch milliseconds (a non-negative integer).`, 'before')
    return before as number
  }
  let ms = typeof olderThan === 'number' ? olderThan : Number.NaN
  if (typeof olderThan === 'string') {
    try {
      ms = parseDuration(olderThan)
    } catch {}
  }
  if (!Number.isSafeInteger(ms) || ms < 0) throw bad(`'olderThan' must be a duration such as "30d", "12h" or milliseconds.`, 'olderThan')
  return now() - ms
}
