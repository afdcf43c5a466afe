// Awake cores for a measurement (run.mjs / ab.mjs --awake-cores): one spinner per CPU (micro/spin.c,
// built with the machine's cc), pinned and at the SCHED_IDLE policy, so that no virtual CPU halts
// between requests. On the Firecracker VMs here waking a halted virtual CPU is up to the hypervisor:
// ~70-100 us a round trip at the median and over 1 ms in 0.5-3 % of wake-ups (wakeup.mjs, bench/README
// "Nineteenth session"), and a request through a proxy makes two such wake-ups more than one sent to
// the upstream directly, so that tail became every proxy's p99. A SCHED_IDLE task runs only when
// nothing else on its CPU can: it takes no time the targets, the fake or the load generator would
// use, and a woken process preempts it at once. The spinners die with this process (they ask the
// kernel to kill them when their parent exits, SIGKILL included).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildC } from '../load/c-client.mjs'

const SPIN_SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'micro', 'spin.c')

/**
 * Starts a spinner on every CPU until this process exits (each asks the kernel for a SIGKILL when
 * its parent ends, so no exit handler is needed); resolves `{ cpus, pids }` for the report
 * once each runs at the idle policy. Throws when the spinner cannot be built (no C compiler) or a spinner
 * fails to start (its error on stderr).
 */
export async function awakeCores() {
  const binary = buildC(SPIN_SOURCE, 'spin')
  const count = cpus().length
  const children = []
  for (let cpu = 0; cpu < count; cpu++) {
    // Its errors go to the bench's stderr; unref'd, so it never keeps the bench running.
    const child = spawn(binary, [String(cpu)], { stdio: ['ignore', 'ignore', 'inherit'] })
    child.unref()
    children.push(child)
  }
  // A spinner that failed (affinity, policy) exits at once: wait for each to reach its loop.
  const deadline = Date.now() + 5_000
  for (const child of children) {
    while (policyOf(child.pid) !== 'idle') {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) throw new Error(`--awake-cores: the spinner of CPU ${children.indexOf(child)} did not start`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  return { cpus: count, pids: children.map((child) => child.pid) }
}

/** The scheduling policy of a process from /proc/PID/sched (`policy` 5 = SCHED_IDLE). */
function policyOf(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/sched`, 'utf8').match(/^policy\s*:\s*(\d+)/m)
    return line?.[1] === '5' ? 'idle' : 'other'
  } catch {
    return 'gone'
  }
}
