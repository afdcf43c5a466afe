import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { describe, expect, it } from 'vitest'
import { openConnection } from '../src/connection.js'
import { sqlite } from '../src/index.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-worker-priority-').dbPath

/** One field of each thread's /proc/self/task/<tid>/stat (Linux; 1-based, as in proc(5)). */
function threadStatField(field: number): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // The fields after the command name in parentheses (which may hold spaces) start at field 3.
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[field - 3])]
    } catch {
      return [] // the thread ended meanwhile
    }
  })
}

/** The nice value of each thread of this process (field 19). */
const threadNices = (): number[] => threadStatField(19)
/** The scheduling policy of each thread of this process (field 41; SCHED_IDLE is 5). */
const threadPolicies = (): number[] => threadStatField(41)
const SCHED_IDLE = 5

const base = getPriority()

/**
 * Opens a connection whose worker runs from the start and has written one row (so it has run its
 * start-up), and gives the threads' nice values and policies then. `env` is set while the worker
 * starts (it takes a copy of the environment).
 */
async function threadsWithWorker(options: { workerNice?: number; workerIdle?: boolean } = {}, env: Record<string, string> = {}): Promise<{ nices: number[]; policies: number[] }> {
  // A worker of an earlier test may take a moment to end after its connection closed (at most ~2 s here).
  const settled = () => threadNices().every((nice) => nice === base) && threadPolicies().every((policy) => policy !== SCHED_IDLE)
  for (let i = 0; i < 200 && !settled(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(settled()).toBe(true)
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]))
  Object.assign(process.env, env)
  const connection = openConnection({ path: tempPath(), synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0, ...options }, 'test')
  try {
    connection.prepareUsage('CREATE TABLE t (x)').run()
    const worker = connection.checkpointer!
    expect(worker.running).toBe(true)
    expect(await connection.writeRows('INSERT INTO t (x) VALUES (?)', [[1]])).toBe(1)
    expect(worker.rowWrites).toBe(1)
    return { nices: threadNices(), policies: threadPolicies() }
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    await connection.close()
  }
}
const nicesWithWorker = async (workerNice?: number): Promise<number[]> => (await threadsWithWorker(workerNice === undefined ? {} : { workerNice })).nices

describe.runIf(process.platform === 'linux')('sqlite({ workerNice }): the worker thread at a lower priority (Linux)', () => {
  it('adds workerNice to the nice value of the worker thread only', async () => {
    expect((await nicesWithWorker(10)).filter((nice) => nice !== base)).toEqual([Math.min(19, base + 10)])
    expect((await nicesWithWorker(3)).filter((nice) => nice !== base)).toEqual([Math.min(19, base + 3)])
  })

  it('leaves it at the process priority by default, and with workerNice: 0', async () => {
    expect((await nicesWithWorker()).filter((nice) => nice !== base)).toEqual([])
    expect((await nicesWithWorker(0)).filter((nice) => nice !== base)).toEqual([])
  })
})

describe.runIf(process.platform === 'linux')('sqlite({ workerIdle }): the worker thread under SCHED_IDLE (Linux)', () => {
  it('puts the worker thread, and only it, under SCHED_IDLE, and it still writes', async () => {
    // util-linux's chrt sets the policy; it is part of every Debian and Ubuntu system.
    expect(spawnSync('chrt', ['--help']).error).toBeUndefined()
    const { policies } = await threadsWithWorker({ workerIdle: true })
    expect(policies.filter((policy) => policy === SCHED_IDLE)).toHaveLength(1)
    expect(policies.filter((policy) => policy !== SCHED_IDLE && policy !== 0)).toEqual([])
  })

  it('leaves every thread at the default policy without it, and runs as before where chrt cannot be found', async () => {
    expect((await threadsWithWorker()).policies.filter((policy) => policy !== 0)).toEqual([])
    expect((await threadsWithWorker({ workerIdle: false })).policies.filter((policy) => policy !== 0)).toEqual([])
    // An empty PATH: the worker's chrt is not found; the worker starts and writes all the same.
    expect((await threadsWithWorker({ workerIdle: true }, { PATH: '' })).policies.filter((policy) => policy !== 0)).toEqual([])
  })
})

describe('sqlite({ workerIdle })', () => {
  it('refuses a workerIdle that is not true or false', () => {
    for (const workerIdle of ['yes', 1, null]) expect(() => sqlite({ workerIdle: workerIdle as unknown as boolean })).toThrow(/workerIdle/)
  })
})

describe('sqlite({ workerNice })', () => {
  it('refuses a workerNice that is not a whole number from 0 to 19', () => {
    for (const workerNice of [-1, 20, 2.5, Number.NaN, '5' as unknown as number]) {
      expect(() => sqlite({ workerNice })).toThrow(/workerNice/)
    }
  })
})
