import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cCompiler } from '../load/c-client.mjs'

const AWAKE = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'awake-cores.mjs')
const noCompiler = !cCompiler()

/** Runs a node process that starts the spinners, prints them, then ends as `end` says. */
function parent(end: 'exit' | 'SIGKILL'): Promise<{ cpus: number; pids: number[]; seen: Array<{ policy: string; cpu: string }> }> {
  const script = `
    import { readFileSync } from 'node:fs'
    const { awakeCores } = await import(${JSON.stringify(AWAKE)})
    const awake = await awakeCores()
    // While they run: each one's policy (/proc/PID/sched) and the CPUs it may use (/proc/PID/status).
    const seen = awake.pids.map((pid) => ({
      policy: readFileSync('/proc/' + pid + '/sched', 'utf8').match(/^policy\\s*:\\s*(\\d+)/m)[1],
      cpu: readFileSync('/proc/' + pid + '/status', 'utf8').match(/^Cpus_allowed_list:\\s*(\\S+)/m)[1],
    }))
    console.log(JSON.stringify({ ...awake, seen }))
    ${end === 'exit' ? '' : "process.kill(process.pid, 'SIGKILL')"}
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (error, stdout) => {
      const line = stdout.trim().split('\n').at(-1)
      if (!line) return reject(error ?? new Error('no output'))
      resolve(JSON.parse(line))
    })
  })
}

const alive = (pid: number) => {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

async function gone(pids: number[]) {
  for (let i = 0; i < 200 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  return pids.filter(alive)
}

describe.skipIf(noCompiler)('--awake-cores (lib/awake-cores.mjs, micro/spin.c; skipped only where no C compiler is installed)', () => {
  it('runs one spinner per CPU, pinned to it, at SCHED_IDLE, and they end when the bench exits', async () => {
    const run = await parent('exit')
    expect(run.cpus).toBe(cpus().length)
    expect(run.pids).toHaveLength(cpus().length)
    expect(run.seen).toEqual(run.pids.map((_, cpu) => ({ policy: '5', cpu: String(cpu) })))
    expect(await gone(run.pids)).toEqual([])
  }, 60_000)

  it('and when the bench is killed (SIGKILL: no exit handler runs)', async () => {
    const run = await parent('SIGKILL')
    expect(run.pids).toHaveLength(cpus().length)
    expect(await gone(run.pids)).toEqual([])
  }, 60_000)
})
