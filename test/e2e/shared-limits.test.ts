import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startChildGateway, type ChildGateway } from './support/child-gateway.js'

// Real Redis (127.0.0.1:6379) and two gateway processes. In CI this fails, not skips, without Redis.
const ADMIN = 'shared-limits-admin-key-0123'
let fake: FakeUpstream
let dir: string
const gateways: ChildGateway[] = []

beforeAll(async () => {
  fake = await startFakeOpenAI()
  fake.setDefault({ usage: { prompt_tokens: 10, completion_tokens: 5 } })
  dir = mkdtempSync(join(tmpdir(), 'mesh-shared-'))
  const env = {
    MESH_FAKE_URL: fake.baseURL,
    MESH_SQLITE_PATH: join(dir, 'mesh.db'),
    MESH_REDIS_PREFIX: `mesh-test-${process.pid}-${Date.now()}:`,
    MESH_ADMIN_KEY: ADMIN,
    MESH_KEY_TTL: '60s',
  }
  gateways.push(await startChildGateway(env))
  gateways.push(await startChildGateway(env))
})
afterAll(async () => {
  for (const g of gateways) await g.kill('SIGKILL')
  await fake?.close()
  rmSync(dir, { recursive: true, force: true })
})

const admin = async (url: string, path: string, body: unknown) =>
  (await fetch(`${url}/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>

const chat = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }) }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

describe('two gateway processes sharing Redis', () => {
  it('hold a key RPM limit within 5 % over one minute at four times the allowed rate', async () => {
    const [a, b] = gateways as [ChildGateway, ChildGateway]
    await admin(a.url, '/accounts', { id: 'acct_shared' })
    await admin(a.url, '/credits/grant', { accountId: 'acct_shared', amountUsd: 100 })
    const { key } = (await admin(a.url, '/keys', { accountId: 'acct_shared', rpm: 120 })) as { key: string }

    const statuses: number[] = []
    const started = Date.now()
    // 8 requests a second in all (4 per instance), for 60 s: 480 requests against a limit of 120.
    let tick = 0
    while (Date.now() - started < 60_000) {
      const target = tick++ % 2 === 0 ? a : b
      void chat(target.url, key).then((s) => statuses.push(s))
      await new Promise((r) => setTimeout(r, 125))
    }
    const deadline = Date.now() + 5_000
    while (statuses.length < tick && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const ok = statuses.filter((s) => s === 200).length
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
    expect(ok).toBeGreaterThanOrEqual(114)
    expect(ok).toBeLessThanOrEqual(126)
  }, 90_000)

  it('a key revoked on one instance is refused by the other at once (Redis pub/sub)', async () => {
    const [a, b] = gateways as [ChildGateway, ChildGateway]
    await admin(a.url, '/accounts', { id: 'acct_revoke' })
    await admin(a.url, '/credits/grant', { accountId: 'acct_revoke', amountUsd: 1 })
    const { key, id } = (await admin(a.url, '/keys', { accountId: 'acct_revoke' })) as { key: string; id: string }
    expect(await chat(b.url, key)).toBe(200) // cached on b for up to 60 s
    await admin(a.url, `/keys/${id}/revoke`, {})
    const deadline = Date.now() + 1_000
    let status = await chat(b.url, key)
    while (status === 200 && Date.now() < deadline) status = await chat(b.url, key)
    expect(status).toBe(401)
  })
})
