import { parseArgs } from 'node:util'
import { startFakeOpenAI } from '../fake-openai/server.js'
import type { FakeUpstream } from '../fake-openai/types.js'

export const USAGE = `Usage: mesh-fake-upstream [--port 4010] [--reply "text"] [--model id]... [--api-key key]...

Starts a fake OpenAI-compatible upstream on 127.0.0.1 for local gateway development.
  --port, -p    port to listen on (default 4010; 0 picks a free port)
  --reply, -r   fixed assistant reply (default: echo the last user message)
  --model, -m   model listed by GET /v1/models (repeatable; default gpt-4o-mini, gpt-4o)
  --api-key     accept only this bearer key (repeatable; default: accept any)
  --help, -h    show this help`

export interface CliIO {
  out(line: string): void
  err(line: string): void
}

/**
 * Parses the `mesh-fake-upstream` arguments and starts the fake. Returns the running upstream,
 * or `undefined` after printing help or a usage error (with `exitCode` set accordingly).
 */
export async function runFakeUpstream(
  argv: string[],
  io: CliIO,
): Promise<{ upstream: FakeUpstream | undefined; exitCode: number }> {
  let values: { port?: string; reply?: string; model?: string[]; 'api-key'?: string[]; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        reply: { type: 'string', short: 'r' },
        model: { type: 'string', short: 'm', multiple: true },
        'api-key': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (error) {
    io.err(`mesh-fake-upstream: ${(error as Error).message}\n\n${USAGE}`)
    return { upstream: undefined, exitCode: 2 }
  }
  if (values.help) {
    io.out(USAGE)
    return { upstream: undefined, exitCode: 0 }
  }
  const port = Number(values.port ?? '4010')
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.err(`mesh-fake-upstream: --port must be an integer between 0 and 65535, got '${values.port}'`)
    return { upstream: undefined, exitCode: 2 }
  }
  const upstream = await startFakeOpenAI({
    port,
    ...(values.model ? { models: values.model } : {}),
    ...(values['api-key'] ? { apiKeys: values['api-key'] } : {}),
    ...(values.reply !== undefined ? { defaultBehavior: { reply: values.reply } } : {}),
  })
  io.out(`fake upstream listening on ${upstream.baseURL}`)
  return { upstream, exitCode: 0 }
}
