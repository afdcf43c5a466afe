// Child process of durability.test.ts: bills requests as fast as it can and prints `ack <id>`
// after each settlement resolved, until it is killed. `default` as path means sqlite() unconfigured.
import { sqlite } from '../../src/index.js'

const [path = 'default', total = '1000000'] = process.argv.slice(2)
const store = path === 'default' ? sqlite() : sqlite({ path })
const accountId = 'acct-durable'

await store.putAccount({ id: accountId, createdAt: 0 })
await store.append({ accountId, kind: 'grant', amountMicroUsd: 1_000_000_000, requestId: 'grant-1' })
for (let i = 0; i < Number(total); i++) {
  const requestId = `req-${i}`
  await store.reserve(accountId, requestId, 100)
  await store.settle(accountId, requestId, 60)
  process.stdout.write(`ack ${requestId}\n`)
}
await store.close()
process.stdout.write('done\n')
