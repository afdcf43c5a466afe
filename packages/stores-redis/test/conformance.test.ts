import { randomBytes } from 'node:crypto'
import { testCounterStore } from '@modelmesh/testkit'
import { redis } from '../src/index.js'
import { deletePrefix, url } from './support/redis.js'

// A random prefix per run; `peer` is a second connection with the same prefix, as a second gateway instance.
const prefix = `mesh-test:${randomBytes(6).toString('hex')}:`
const open = async () => {
  const store = redis({ url, prefix })
  await store.ready()
  return store
}
testCounterStore({ name: 'redis', create: open, peer: open, cleanup: () => deletePrefix(prefix) })
