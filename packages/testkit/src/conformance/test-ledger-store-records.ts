import { createHash } from 'node:crypto'
import { StoreError, type LedgerStoreV1, type VirtualKeyRecord } from '@modelmesh/core'
import { expect } from 'vitest'
import { rejectionOf, type StoreCheck } from './test-shared-store-helpers.js'

/**
 * Optional parts of the ledger suite: `peer` (a second instance over the same data), `pruneUsage`
 * (the store can delete old usage events: `billing.usageRetention`).
 */
export type LedgerStoreFeature = 'peer' | 'pruneUsage'
export type LedgerStoreCheck = StoreCheck<LedgerStoreV1, LedgerStoreFeature>

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Creates an account (and, with `grant`, credits it); resolves its id. */
export async function newAccount(store: LedgerStoreV1, unique: (label: string) => string, grantMicroUsd?: number): Promise<string> {
  const id = unique('acct')
  await store.putAccount({ id, name: 'Acme', createdAt: 1_700_000_000_000 })
  if (grantMicroUsd !== undefined) await store.append({ accountId: id, kind: 'grant', amountMicroUsd: grantMicroUsd, note: 'start' })
  return id
}

export function keyRecord(accountId: string, id: string, extra: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord {
  return { id, hash: sha256(`mk_test_${id}`), prefix: 'mk_test_ab12', accountId, scopes: ['chat'], createdAt: 1_700_000_000_000, ...extra }
}

async function expectStoreError(promise: Promise<unknown>, what: string, code: string): Promise<void> {
  const error = await rejectionOf(promise, what)
  expect(StoreError.isInstance(error), `${what} must reject with a StoreError, got ${String(error)}`).toBe(true)
  expect((error as StoreError).code, `${what}: ${String(error)}`).toBe(code)
}

export const ledgerRecordChecks: readonly LedgerStoreCheck[] = [
  {
    name: "declares specificationVersion 'mesh.store.v1', roles.ledger 'mesh.ledger.v1' and a descriptor",
    async run({ store }) {
      expect(store.specificationVersion).toBe('mesh.store.v1')
      expect(store.roles.ledger).toBe('mesh.ledger.v1')
      expect(typeof store.descriptor.package).toBe('string')
      expect(typeof store.descriptor.factory).toBe('string')
      expect(JSON.parse(JSON.stringify(store.descriptor.options ?? null))).toEqual(store.descriptor.options ?? null)
    },
  },
  {
    name: 'puts, gets, replaces and lists accounts and projects',
    async run({ store, unique }) {
      const accountId = unique('acct')
      const account = { id: accountId, name: 'Acme', spendCapMicroUsd: { daily: 5_000_000, total: 90_000_000 }, createdAt: 1_700_000_000_000 }
      await store.putAccount(account)
      expect(await store.getAccount(accountId)).toEqual(account)
      await store.putAccount({ ...account, name: 'Acme Inc' })
      expect((await store.getAccount(accountId))?.name).toBe('Acme Inc')
      expect((await store.listAccounts()).filter((a) => a.id === accountId)).toHaveLength(1)
      expect(await store.getAccount(unique('nobody'))).toBeUndefined()
      const projects = [1, 2].map((n) => ({ id: `${accountId}-p${n}`, accountId, name: `p${n}`, createdAt: 1_700_000_000_000 + n }))
      for (const project of projects) await store.putProject(project)
      await store.putProject({ ...projects[0]!, spendCapMicroUsd: { monthly: 1_000 } })
      expect(await store.getProject(projects[0]!.id)).toEqual({ ...projects[0], spendCapMicroUsd: { monthly: 1_000 } })
      expect((await store.listProjects(accountId)).map((p) => p.id)).toEqual(projects.map((p) => p.id))
      expect((await store.listProjects()).map((p) => p.id)).toEqual(expect.arrayContaining(projects.map((p) => p.id)))
    },
  },
  {
    name: 'stores keys by their SHA-256 hash with every field, finds and lists them',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const full = keyRecord(accountId, unique('key'), {
        projectId: `${accountId}-p`,
        name: 'ci',
        scopes: ['chat', 'embeddings'],
        models: ['smart', 'gpt-4o-mini'],
        rpm: 60,
        tpm: 100_000,
        spendCapMicroUsd: { daily: 1_000_000, monthly: 20_000_000, total: 100_000_000 },
        expiresAt: 1_900_000_000_000,
      })
      const bare = keyRecord(accountId, unique('key'))
      await store.putKey(full)
      await store.putKey(bare)
      expect(await store.findKeyByHash(full.hash)).toEqual(full)
      expect(await store.getKey(bare.id)).toEqual(bare)
      expect(await store.findKeyByHash(sha256('never issued'))).toBeUndefined()
      expect((await store.listKeys({ accountId })).map((k) => k.id).sort()).toEqual([full.id, bare.id].sort())
      expect((await store.listKeys({ projectId: `${accountId}-p` })).map((k) => k.id)).toEqual([full.id])
      const rehashed = { ...bare, hash: sha256(`${bare.id} v2`) }
      await store.putKey(rehashed)
      expect(await store.findKeyByHash(bare.hash), 'the replaced hash no longer finds the key').toBeUndefined()
      expect(await store.findKeyByHash(rehashed.hash)).toEqual(rehashed)
    },
  },
  {
    name: 'refuses a key whose hash is not a SHA-256 hex digest (a plaintext key) or belongs to another key',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const key = keyRecord(accountId, unique('key'))
      await expectStoreError(store.putKey({ ...key, hash: 'mk_live_0123456789abcdef' }), 'putKey(plaintext)', 'invalid-input')
      await expectStoreError(store.putKey({ ...key, hash: key.hash.toUpperCase() }), 'putKey(uppercase hex)', 'invalid-input')
      expect(await store.getKey(key.id)).toBeUndefined()
      await store.putKey(key)
      await expectStoreError(store.putKey({ ...key, id: unique('other') }), 'putKey(hash of another key)', 'conflict')
      expect(await store.findKeyByHash(key.hash)).toEqual(key)
    },
  },
  {
    name: 'revokes a key once (the first revocation time is kept); unknown keys resolve undefined',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const key = keyRecord(accountId, unique('key'))
      await store.putKey(key)
      expect(await store.revokeKey(key.id, 1_800_000_000_000)).toEqual({ ...key, revokedAt: 1_800_000_000_000 })
      expect((await store.revokeKey(key.id, 1_800_000_999_999))?.revokedAt).toBe(1_800_000_000_000)
      expect((await store.findKeyByHash(key.hash))?.revokedAt, 'lookups see the revocation').toBe(1_800_000_000_000)
      expect(await store.revokeKey(unique('nobody'), 1)).toBeUndefined()
    },
  },
  {
    name: 'rotates a key: the new key is stored, the old one expires at the end of the grace period',
    async run({ store, unique }) {
      const accountId = await newAccount(store, unique)
      const old = keyRecord(accountId, unique('old'), { expiresAt: 1_900_000_000_000 })
      const next = keyRecord(accountId, unique('new'))
      await store.putKey(old)
      expect(await store.rotateKey(old.id, next, 1_800_000_000_000)).toEqual({ ...old, expiresAt: 1_800_000_000_000, replacedBy: next.id })
      expect(await store.findKeyByHash(next.hash)).toEqual(next)
      expect((await store.findKeyByHash(old.hash))?.expiresAt).toBe(1_800_000_000_000)
      const third = keyRecord(accountId, unique('third'))
      expect((await store.rotateKey(next.id, third, 2_000_000_000_000))?.expiresAt, 'no expiry of its own: the grace end').toBe(2_000_000_000_000)
      const early = keyRecord(accountId, unique('early'), { expiresAt: 1_750_000_000_000 })
      await store.putKey(early)
      expect((await store.rotateKey(early.id, keyRecord(accountId, unique('n')), 1_800_000_000_000))?.expiresAt, 'an earlier own expiry is kept').toBe(1_750_000_000_000)
      const orphan = keyRecord(accountId, unique('orphan'))
      expect(await store.rotateKey(unique('nobody'), orphan, 1)).toBeUndefined()
      expect(await store.getKey(orphan.id), 'nothing is written when the old key is unknown').toBeUndefined()
    },
  },
]
