import { createMesh, defineConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCommand } from '../src/index.js'

const ADMIN = 'cli-admin-key-0123456789'
let fake: FakeUpstream
let mesh: ReturnType<typeof createMesh>

beforeAll(async () => {
  fake = await startFakeOpenAI()
  mesh = createMesh(defineConfig({ providers: { up: openai({ baseURL: fake.baseURL, keys: ['k'] }) }, models: { smart: { targets: [{ provider: 'up', model: 'm', pricing: { input: 1, output: 1 } }] } }, auth: { keys: true }, admin: { key: ADMIN } }))
  await mesh.ready
})
afterAll(async () => {
  await mesh.close()
  await fake.close()
})

// The commands go through a fetch bound to the in-process gateway: the same requests `--url` sends.
async function run(args: string[], flags: Record<string, string | undefined> = {}, adminKey = ADMIN) {
  const out: string[] = []
  const err: string[] = []
  const code = await adminCommand(args, flags, { url: 'http://gateway.test', adminKey, fetch: (input, init) => mesh.fetch(new Request(input, init)), log: (l) => out.push(l), error: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('mesh accounts | keys | credits | usage', () => {
  it('creates an account, grants credits, creates a key that works, lists, rotates and revokes it', async () => {
    expect((await run(['accounts', 'create', 'acct_cli'])).code).toBe(0)
    const granted = await run(['credits', 'grant'], { account: 'acct_cli', amount: '5' })
    expect(granted.code).toBe(0)
    expect(JSON.parse(granted.out).balance.balanceMicroUsd).toBe(5_000_000)

    const created = await run(['keys', 'create'], { account: 'acct_cli', name: 'ci', rpm: '100', models: 'smart' })
    expect(created.code).toBe(0)
    expect(created.err).toMatch(/shown once/)
    const { key, id } = JSON.parse(created.out) as { key: string; id: string }
    const chat = () => mesh.fetch(new Request('http://gateway.test/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }) }))
    expect((await chat()).status).toBe(200)

    const listed = await run(['keys', 'list'], { account: 'acct_cli' })
    expect(JSON.parse(listed.out).data).toHaveLength(1)
    expect(listed.out).not.toContain(key)

    const usage = await run(['usage'], { account: 'acct_cli' })
    expect(JSON.parse(usage.out).data).toHaveLength(1)

    const rotated = await run(['keys', 'rotate', id], { grace: '1h' })
    expect(JSON.parse(rotated.out).key).toMatch(/^mk_live_/)
    expect((await run(['keys', 'revoke', id])).code).toBe(0)
    expect((await chat()).status).toBe(401)
  })

  it('fails with the reason on a wrong admin key or missing arguments', async () => {
    const wrong = await run(['keys', 'list'], {}, 'not-the-admin-key')
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/^401/)
    expect((await run(['credits', 'grant'], { account: 'x' })).err).toMatch(/--amount/)
  })

  it('usage prune deletes the usage events older than the cutoff and refuses a missing or bad one', async () => {
    expect((await run(['accounts', 'create', 'acct_prune'])).code).toBe(0)
    expect((await run(['credits', 'grant'], { account: 'acct_prune', amount: '1' })).code).toBe(0)
    const { key } = JSON.parse((await run(['keys', 'create'], { account: 'acct_prune' })).out) as { key: string }
    const chat = () => mesh.fetch(new Request('http://gateway.test/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }) }))
    expect((await chat()).status).toBe(200)
    const count = async () => (JSON.parse((await run(['usage'], { account: 'acct_prune' })).out) as { data: unknown[] }).data.length
    expect(await count()).toBe(1)

    for (const flags of [{}, { 'older-than': '1h', before: '0' }]) expect((await run(['usage', 'prune'], flags)).err).toMatch(/--older-than/)
    const bad = await run(['usage', 'prune'], { before: 'yesterday' })
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/^400: .*'before'/)])
    expect(await count(), 'nothing deleted by a refused prune').toBe(1)

    // An hour back keeps the event of a moment ago; an ISO date an hour ahead deletes it.
    expect(JSON.parse((await run(['usage', 'prune'], { 'older-than': '1h' })).out)).toMatchObject({ deleted: 0 })
    expect(await count()).toBe(1)
    const pruned = await run(['usage', 'prune'], { before: new Date(Date.now() + 3_600_000).toISOString() })
    expect([pruned.code, JSON.parse(pruned.out).deleted]).toEqual([0, expect.any(Number)])
    expect(JSON.parse(pruned.out).deleted).toBeGreaterThanOrEqual(1)
    expect(await count()).toBe(0)
  })
})
