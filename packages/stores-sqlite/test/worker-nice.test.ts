import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { describe, expect, it } from 'vitest'
import { openConnection } from '../src/connection.js'
import { sqlite } from '../src/index.js'
import { tempFiles } from './support/temp-files.js'

const tempPath = tempFiles('mesh-sqlite-worker-nice-').dbPath

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // The fields after the command name in parentheses (which may hold spaces) start at field 3.
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]
    } catch {
      return [] // the thread ended meanwhile
    }
  })
}

const base = getPriority()

/** Opens a connection whose worker runs from the start and has written one row (so it has run its start-up), and gives the threads' nice values then. */
async function nicesWithWorker(workerNice?: number): Promise<number[]> {
  // A worker of an earlier test may take a moment to end after its connection closed (at most ~2 s here).
  for (let i = 0; i < 200 && threadNices().some((nice) => nice !== base); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(threadNices().filter((nice) => nice !== base)).toEqual([])
  const connection = openConnection({ path: tempPath(), synchronous: 'normal', busyTimeoutMs: 1_000, checkpointStartBytes: 0, ...(workerNice === undefined ? {} : { workerNice }) }, 'test')
  try {
    connection.prepareUsage('CREATE TABLE t (x)').run()
    const worker = connection.checkpointer!
    expect(worker.running).toBe(true)
    expect(await connection.writeRows('INSERT INTO t (x) VALUES (?)', [[1]])).toBe(1)
    expect(worker.rowWrites).toBe(1)
    return threadNices()
  } finally {
    await connection.close()
  }
}

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

describe('sqlite({ workerNice })', () => {
  it('refuses a workerNice that is not a whole number from 0 to 19', () => {
    for (const workerNice of [-1, 20, 2.5, Number.NaN, '5' as unknown as number]) {
      expect(() => sqlite({ workerNice })).toThrow(/workerNice/)
    }
  })
})
