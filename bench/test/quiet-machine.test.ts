// --quiet-machine (bench/lib/quiet-machine.mjs): the choice of processes to pause and the report's note.
// Pure functions only: nothing is paused here.
import { describe, expect, it } from 'vitest'
// (plain ES modules of the bench: bench/ has no types and is not type-checked)
import { NOISY_PROCESSES, pickProcesses } from '../lib/quiet-machine.mjs'
import { quietNote } from '../lib/report.mjs'

describe('quiet-machine: which processes a quiet run pauses', () => {
  const procs: Array<[number, string]> = [
    [3019, 'beam.smp'],
    [2270, 'postgres'],
    [2290, 'redis-server'],
    [3857, 'mariadbd'],
    [3027, 'nats-server'],
    [3024, 'mosquitto'],
    [2974, 'epmd'],
    [77, 'node'],
    [3034, 'erl_child_setup'],
  ]

  it('picks the named services in pid order, never PostgreSQL, Redis or itself', () => {
    expect(pickProcesses(procs, NOISY_PROCESSES, 77)).toEqual([
      { pid: 2974, name: 'epmd' },
      { pid: 3019, name: 'beam.smp' },
      { pid: 3024, name: 'mosquitto' },
      { pid: 3027, name: 'nats-server' },
      { pid: 3034, name: 'erl_child_setup' },
      { pid: 3857, name: 'mariadbd' },
    ])
    // Asked for by name, the test suite's services are still left running; so is the bench itself.
    expect(pickProcesses(procs, ['postgres', 'redis-server', 'node'], 77)).toEqual([])
    expect(pickProcesses(procs, ['node'], 1)).toEqual([{ pid: 77, name: 'node' }])
  })

  it('says in the report what was switched off and paused', () => {
    const note = quietNote({ damon: ['/sys/kernel/mm/damon/admin/kdamonds/0/state'], paused: [{ pid: 1, name: 'beam.smp' }, { pid: 2, name: 'beam.smp' }, { pid: 3, name: 'mariadbd' }] })
    expect(note).toContain('1 `kdamond` thread switched off')
    expect(note).toContain('3 processes')
    expect(note).toContain('(beam.smp, mariadbd)')
    expect(note).toContain('PostgreSQL and Redis ran')
  })
})
