import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./gateway-child.mjs', import.meta.url))

export interface ChildGateway {
  readonly process: ChildProcess
  readonly url: string
  readonly stderr: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Start `gateway-child.mjs` with the given environment; resolves once it listens. */
export function startChildGateway(env: Record<string, string>, timeoutMs = 20_000): Promise<ChildGateway> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway child did not start in ${timeoutMs} ms:\n${stderr}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`gateway child exited with ${code}:\n${stderr}`))
    })
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (!line) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      const { port } = JSON.parse(line) as { port: number }
      resolve({
        process: child,
        url: `http://127.0.0.1:${port}`,
        stderr: () => stderr,
        kill: (signal = 'SIGTERM') =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done()
            child.once('exit', () => done())
            child.kill(signal)
          }),
      })
    })
  })
}
