import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ProviderCallContext } from '@modelmesh/core'

/** One request the local test server received. */
export interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Reply = (req: Received, res: ServerResponse) => void

/** A node:http server on 127.0.0.1:0 that records requests and answers with the current `reply`. */
export interface TestServer {
  readonly origin: string
  readonly received: Received[]
  reply: Reply
  close(): Promise<void>
}

export async function startServer(): Promise<TestServer> {
  const received: Received[] = []
  const state: { reply: Reply } = { reply: (_req, res) => res.writeHead(500).end() }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      received.push(entry)
      state.reply(entry, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    get reply() {
      return state.reply
    },
    set reply(reply: Reply) {
      state.reply = reply
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

export function sse(events: unknown[], options: { cutAfter?: number } = {}): Reply {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    events.forEach((event, i) => {
      if (options.cutAfter !== undefined && i >= options.cutAfter) return
      res.write(`data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`)
    })
    if (options.cutAfter !== undefined) setTimeout(() => res.destroy(), 10)
    else res.end()
  }
}

/** A call context; `apiKey: null` stands for a keyless deployment. */
export function context(apiKey: string | null = 'sk-test', signal = new AbortController().signal): ProviderCallContext {
  return { deployment: { id: 'openai/gpt-4o-mini#0', provider: 'openai', model: 'gpt-4o-mini', keyIndex: 0 }, apiKey: apiKey ?? undefined, signal, requestId: 'req_123' }
}

export const completion = (content: string, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  ...extra,
})
