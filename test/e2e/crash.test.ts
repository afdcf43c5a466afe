import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqlite } from '@modelmesh/stores-sqlite'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChildGateway, type ChildGateway } from './support/child-gateway.js'

const ADMIN = 'crash-test-admin-key-01234'
let fake: FakeUpstream
let dir: string
const children: ChildGateway[] = []

beforeAll(async () => {
  fake = await startFakeOpenAI()
  fake.setDefault({ latencyMs: 3, usage: { prompt_tokens: 100, completion_tokens: 50 } })
  dir = mkdtempSync(join(tmpdir(), 'mesh-crash-'))
})
afterAll(async () => {
  for (const child of children) await child.kill('SIGKILL')
  await fake.close()
  rmSync(dir, { recursive: true, force: true })
})

async function admin(url: string, path: string, body: unknown) {
  const response = await fetch(`${url}/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return response.json() as Promise<Record<string, unknown>>
}

function chat(url: string, key: string, idempotencyKey: string): Promise<number> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 }),
  }).then(
    async (r) => {
      await r.arrayBuffer()
      return r.status
    },
    () => 0, // connection died with the gateway
  )
}

// holds 'process': reservation holds in memory and lone settlements acknowledged from the debit
// journal (docs/stores.md); the ledger read after the crash replays what the journal holds.
describe.each(['shared', 'process'])('kill -9 under load (SQLite ledger, holds %s, child process)', (holds) => {
  it('loses no acknowledged debit and bills no request twice after a restart', async () => {
    const env = { MESH_FAKE_URL: fake.baseURL, MESH_SQLITE_PATH: join(dir, `mesh-${holds}.db`), MESH_ADMIN_KEY: ADMIN, MESH_SQLITE_HOLDS: holds }
    const first = await startChildGateway(env)
    children.push(first)
    await admin(first.url, '/accounts', { id: 'acct_crash' })
    await admin(first.url, '/credits/grant', { accountId: 'acct_crash', amountUsd: 100 })
    const { key, id: keyId } = (await admin(first.url, '/keys', { accountId: 'acct_crash' })) as { key: string; id: string }

    // Load: 16 workers over 400 idempotent requests; kill -9 once 120 were answered.
    const total = 400
    const status = new Map<string, number>()
    let next = 0
    let killed = false
    const worker = async () => {
      while (next < total && !killed) {
        const id = `req-${next++}`
        const code = await chat(first.url, key, id)
        status.set(id, code)
        if (!killed && [...status.values()].filter((s) => s === 200).length >= 120) {
          killed = true
          first.process.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    await first.kill('SIGKILL')
    const acknowledged = [...status].filter(([, s]) => s === 200).map(([id]) => id)
    expect(acknowledged.length).toBeGreaterThanOrEqual(120)

    // With process-local holds the gateway acknowledged some settlements from its journal: the file is there.
    if (holds === 'process') expect(readdirSync(dir).some((name) => name.startsWith('mesh-process.db-debits-'))).toBe(true)
    // Every 200 the clients saw is a durable debit, exactly once.
    const ledger = sqlite({ path: env.MESH_SQLITE_PATH })
    const usageIds = async () => (await ledger.entries('acct_crash')).filter((e) => e.kind === 'usage').map((e) => e.requestId!)
    const afterCrash = await usageIds()
    for (const id of acknowledged) expect(afterCrash).toContain(`idem:${keyId}:${id}`)
    expect(new Set(afterCrash).size).toBe(afterCrash.length)

    // Restart and retry everything with the same idempotency keys.
    const second = await startChildGateway(env)
    children.push(second)
    const retried = new Map<string, number>()
    for (let i = 0; i < total; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, total - i) }, (_, j) => chat(second.url, key, `req-${i + j}`).then((s) => retried.set(`req-${i + j}`, s))))
    }
    // Already billed: replayed (200) or reported done (409); never billed again.
    for (const id of acknowledged) expect([200, 409]).toContain(retried.get(id))
    await second.kill('SIGTERM')

    const finalIds = await usageIds()
    expect(new Set(finalIds).size).toBe(finalIds.length)
    const entries = await ledger.entries('acct_crash')
    const balance = await ledger.balance('acct_crash')
    expect(entries.reduce((sum, e) => sum + e.amountMicroUsd, 0)).toBe(balance.balanceMicroUsd)
    // One debit per distinct request: 100 × $1 + 50 × $2 per million = 200 micro-USD each.
    expect(balance.balanceMicroUsd).toBe(100_000_000 - finalIds.length * 200)
    await ledger.close?.()
  }, 120_000)
})
