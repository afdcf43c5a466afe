// Child process of durability.test.ts: bills requests as fast as it can and prints `ack <id>`
// after each settlement resolved, until it is killed. `default` as path means sqlite() unconfigured.
// MESH_HOLDS=process: process-local holds (and so the debit journal); MESH_DIE_AFTER_ACK=n: the
// process SIGKILLs itself right after the n-th acknowledgement, in the same tick — before the
// group commit that would store a journaled settlement.
import { writeSync } from 'node:fs'
import { sqlite } from '../../src/index.js'

const [path = 'default', total = '1000000'] = process.argv.slice(2)
const holds = process.env.MESH_HOLDS === 'process' ? ('process' as const) : undefined
const dieAfter = process.env.MESH_DIE_AFTER_ACK ? Number(process.env.MESH_DIE_AFTER_ACK) : undefined
const store = path === 'default' ? sqlite({ holds }) : sqlite({ path, holds })
const accountId = 'acct-durable'

await store.putAccount({ id: accountId, createdAt: 0 })
await store.append({ accountId, kind: 'grant', amountMicroUsd: 1_000_000_000, requestId: 'grant-1' })
for (let i = 0; i < Number(total); i++) {
  const requestId = `req-${i}`
  await store.reserve(accountId, requestId, 100)
  await store.settle(accountId, requestId, 60)
  if (i + 1 === dieAfter) {
    writeSync(1, `ack ${requestId}\n`)
    process.kill(process.pid, 'SIGKILL')
  }
  process.stdout.write(`ack ${requestId}\n`)
}
await store.close()
process.stdout.write('done\n')
