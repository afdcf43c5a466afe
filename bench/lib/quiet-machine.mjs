// A quieter machine for a measurement (run.mjs / ab.mjs --quiet-machine; root only): for the length
// of the run, the kernel's DAMON threads (`kdamond`: on the bench VM a core for 2-11 ms twice a second
// under load, bench/README) are switched off and the machine's services that the bench does not use
// (RabbitMQ's Erlang VM, MariaDB, NATS, Mosquitto: they wake up on their own timers) are paused with
// SIGSTOP. Everything is put back (SIGCONT, DAMON on again) when the process exits, however it exits
// short of SIGKILL; after a SIGKILL, `node bench/lib/quiet-machine.mjs --restore` puts back what the
// state file lists. PostgreSQL and Redis are never paused: the project's tests use them, and a bench
// killed mid-run must not leave them stopped. What was done is returned for the run's report.
//
//   node bench/lib/quiet-machine.mjs --restore
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Process names (`/proc/<pid>/comm`, at most 15 characters) paused by default. */
export const NOISY_PROCESSES = ['beam.smp', 'epmd', 'erl_child_setup', 'inet_gethost', 'mariadbd', 'nats-server', 'mosquitto']
/** Never paused, whatever is asked: the test suite's services. */
const NEVER = new Set(['postgres', 'redis-server'])
const DAMON = '/sys/kernel/mm/damon/admin/kdamonds'
export const STATE_FILE = join(tmpdir(), 'modelmesh-bench-quiet.json')

/**
 * The processes to pause: `[pid, comm]` pairs whose name is in `names` (not PostgreSQL or Redis, not
 * `selfPid`), in pid order.
 */
export function pickProcesses(entries, names, selfPid = process.pid) {
  const wanted = new Set(names.filter((name) => !NEVER.has(name)))
  return entries
    .filter(([pid, comm]) => wanted.has(comm) && pid !== selfPid)
    .sort((a, b) => a[0] - b[0])
    .map(([pid, name]) => ({ pid, name }))
}

/** `[pid, comm]` of every process visible in `/proc`. */
function processes() {
  const out = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      out.push([Number(entry), readFileSync(`/proc/${entry}/comm`, 'utf8').trim()])
    } catch {}
  }
  return out
}

/** The state files of the DAMON threads that are on. */
function damonOn() {
  if (!existsSync(DAMON)) return []
  return readdirSync(DAMON)
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => join(DAMON, entry, 'state'))
    .filter((file) => {
      try {
        return readFileSync(file, 'utf8').trim() === 'on'
      } catch {
        return false
      }
    })
}

/** Puts back what `state` lists: SIGCONT to each paused process, `on` to each DAMON state. Synchronous (it runs in an 'exit' handler). */
export function restore(state) {
  for (const { pid } of state.paused) {
    try {
      process.kill(pid, 'SIGCONT')
    } catch {}
  }
  for (const file of state.damon) {
    try {
      writeFileSync(file, 'on')
    } catch {}
  }
  rmSync(STATE_FILE, { force: true })
}

/**
 * Quiets the machine until this process exits. Throws, changing nothing, when not root. Returns
 * `{ damon, paused }` (what was switched off and paused), for the report.
 */
export function quietMachine({ names = NOISY_PROCESSES } = {}) {
  if (process.getuid?.() !== 0) throw new Error('--quiet-machine needs root (it pauses services and switches DAMON off)')
  if (existsSync(STATE_FILE)) restore(JSON.parse(readFileSync(STATE_FILE, 'utf8')))
  const state = { damon: damonOn(), paused: pickProcesses(processes(), names) }
  writeFileSync(STATE_FILE, JSON.stringify(state))
  process.on('exit', () => restore(state))
  for (const file of state.damon) writeFileSync(file, 'off')
  for (const { pid } of state.paused) {
    try {
      process.kill(pid, 'SIGSTOP')
    } catch {}
  }
  return { damon: state.damon, paused: state.paused }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== '--restore') {
    console.error('usage: node bench/lib/quiet-machine.mjs --restore')
    process.exit(2)
  }
  if (!existsSync(STATE_FILE)) console.log('nothing to restore')
  else {
    const state = JSON.parse(readFileSync(STATE_FILE, 'utf8'))
    restore(state)
    console.log(`restored: ${state.paused.length} processes continued, ${state.damon.length} DAMON threads on`)
  }
}
