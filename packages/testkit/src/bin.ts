#!/usr/bin/env node
import { runFakeUpstream } from './cli/run-fake-upstream.js'

const { upstream, exitCode } = await runFakeUpstream(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).catch((error: unknown) => {
  console.error(`mesh-fake-upstream: ${error instanceof Error ? error.message : String(error)}`)
  return { upstream: undefined, exitCode: 1 }
})

if (!upstream) {
  process.exitCode = exitCode
} else {
  const shutdown = (): void => {
    void upstream.close().then(() => process.exit(0))
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
