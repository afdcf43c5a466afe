import { afterEach, describe, expect, it } from 'vitest'
import { runFakeUpstream, USAGE } from '../src/cli/run-fake-upstream.js'
import type { FakeUpstream } from '../src/index.js'

const capture = () => {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } }
}

let running: FakeUpstream | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

describe('mesh-fake-upstream CLI', () => {
  it('starts the fake, prints where it listens, and serves the --reply text', async () => {
    const { out, io } = capture()
    const { upstream, exitCode } = await runFakeUpstream(['--port', '0', '--reply', 'pong', '--model', 'm1'], io)
    running = upstream
    expect(exitCode).toBe(0)
    expect(out).toEqual([`fake upstream listening on http://127.0.0.1:${upstream!.port}/v1`])
    const answer = (await fetch(`${upstream!.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'ping' }] }),
    }).then((response) => response.json())) as { choices: Array<{ message: { content: string } }> }
    expect(answer.choices[0]?.message.content).toBe('pong')
    const models = (await fetch(`${upstream!.baseURL}/models`).then((response) => response.json())) as { data: Array<{ id: string }> }
    expect(models.data.map((model) => model.id)).toEqual(['m1'])
  })

  it('prints help with --help and exits 0', async () => {
    const { out, io } = capture()
    expect(await runFakeUpstream(['--help'], io)).toEqual({ upstream: undefined, exitCode: 0 })
    expect(out).toEqual([USAGE])
  })

  it('rejects unknown options and bad ports with exit code 2 and a message', async () => {
    const unknown = capture()
    expect((await runFakeUpstream(['--bogus'], unknown.io)).exitCode).toBe(2)
    expect(unknown.err[0]).toContain("Unknown option '--bogus'")
    const badPort = capture()
    expect((await runFakeUpstream(['--port', 'abc'], badPort.io)).exitCode).toBe(2)
    expect(badPort.err[0]).toContain('--port must be an integer')
  })
})
