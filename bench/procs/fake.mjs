// The fake OpenAI upstream in its own process. Prints `ready <port>` once listening.
// Options (JSON argv[2]): { port, chunkDelayMs, chunkSize, reply }
import { startFakeOpenAI } from '@modelmesh/testkit'

const options = JSON.parse(process.argv[2] ?? '{}')
const behavior = {
  ...(options.reply !== undefined && { reply: options.reply }),
  ...(options.chunkDelayMs !== undefined && { chunkDelayMs: options.chunkDelayMs }),
  ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
}
const fake = await startFakeOpenAI({ port: options.port ?? 0, defaultBehavior: behavior })
// The fake records every call (a test aid); forget them regularly so a long run does not grow its heap.
setInterval(() => fake.reset(), 1000).unref()
console.log(`ready ${fake.port}`)
const stop = () => void fake.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
