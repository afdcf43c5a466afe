// Child-process plumbing for the bench: spawn, wait until ready, read memory, kill everything we started.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'

/** Every child we started and have not seen exit. Killed by pid on exit, failure or Ctrl-C. */
const children = new Set()

export function spawnChild(name, command, args, options = {}) {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
    env: { ...process.env, ...options.env },
  })
  child.benchName = name
  child.output = ''
  const keep = (chunk) => {
    // Keep the tail only: enough to explain a failure, bounded for chatty children.
    child.output = (child.output + chunk.toString()).slice(-8000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  children.add(child)
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child)
    resolve({ code, signal })
  }))
  return child
}

/** Calls `onLine` with each whole stdout line `child` prints from now on; returns a function that stops it. */
export function onStdoutLines(child, onLine) {
  let buffered = ''
  const onData = (chunk) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()
    for (const line of lines) onLine(line)
  }
  child.stdout.on('data', onData)
  return () => child.stdout.off('data', onData)
}

/** Resolve with the first stdout line matching `pattern`; reject if the child exits or time runs out. */
export function waitForLine(child, pattern, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => done(new Error(`${child.benchName}: no line matching ${pattern} within ${timeoutMs} ms\n${child.output}`)), timeoutMs)
    const onData = (chunk) => {
      buffer += chunk.toString()
      const match = pattern.exec(buffer)
      if (match) done(undefined, match)
    }
    const onExit = (code, signal) => done(new Error(`${child.benchName} exited (${code ?? signal}) before it was ready\n${child.output}`))
    function done(error, match) {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(match)
    }
    child.stdout.on('data', onData)
    child.once('exit', onExit)
  })
}

/**
 * Node flags of the bench's own helper processes — the fake upstream and the load generators, never
 * a target: GC on their main thread only. With Node's default their collections also run on V8's
 * helper threads, and on a two-core machine those take the core the target was about to run on:
 * `sched.mjs` found the fake's and the load generator's V8 threads among what ran while slow answers
 * were in flight, at 10–90× their share of the rest of the run; with this flag an `ab.mjs` run had
 * fewer slow answers (> 5 ms: direct 39 → 11, full 195 → 143; bench/README, fourth session of
 * 2026-12-03). `BENCH_HELPER_NODE_ARGS` replaces them ('' for Node's default, as before then).
 */
export const HELPER_NODE_ARGS = process.env.BENCH_HELPER_NODE_ARGS === undefined ? ['--single-threaded-gc'] : process.env.BENCH_HELPER_NODE_ARGS.split(' ').filter(Boolean)

const FAKE = new URL('../procs/fake.mjs', import.meta.url).pathname

/** Start the fake upstream (procs/fake.mjs with `options`) and wait until it listens; returns { child, port, baseURL }. */
export async function startFake(name = 'fake', options = {}, { cwd } = {}) {
  const child = spawnChild(name, process.execPath, [...HELPER_NODE_ARGS, FAKE, JSON.stringify(options)], cwd ? { cwd } : {})
  const [, port] = await waitForLine(child, /ready (\d+)/)
  return { child, port: Number(port), baseURL: `http://127.0.0.1:${port}/v1` }
}

/** Run a child (a load generator: HELPER_NODE_ARGS by default) to completion and parse the JSON it prints as its last stdout line. */
export async function runJsonChild(name, script, input, { timeoutMs = 120_000, nodeArgs = HELPER_NODE_ARGS, cpus } = {}) {
  const command = [process.execPath, ...nodeArgs, script, JSON.stringify(input)]
  const child = cpus === undefined ? spawnChild(name, command[0], command.slice(1)) : spawnChild(name, 'taskset', ['-c', cpus, ...command])
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk.toString()))
  // 'exit' can come before the last of a long output is read: wait for the end of stdout too.
  const ended = new Promise((resolve) => child.stdout.once('end', resolve))
  const timer = setTimeout(() => kill(child), timeoutMs)
  const [{ code, signal }] = await Promise.all([child.exited, ended])
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${name} failed (${code ?? signal})\n${child.output}`)
  const last = stdout.trim().split('\n').pop()
  return JSON.parse(last)
}

/** Resolve once `origin`/ready answers 200 (the gateway has loaded its config and listens). */
export async function waitForReady(origin, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const response = await request(`${origin}/ready`)
      await response.body.text()
      if (response.statusCode === 200) return
    } catch {}
    await sleep(20)
  }
  throw new Error(`${origin}/ready did not answer 200 within ${timeoutMs} ms`)
}

/** Pin a running process, every thread of it, to `cpus` (a taskset list: '0', '1', '0-1'). */
export function pin(pid, cpus) {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

export async function kill(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

export async function killAll() {
  await Promise.all([...children].map((child) => kill(child)))
}

/** Kill every child on the way out, whatever the reason. */
export function installCleanup() {
  const hardExit = (code) => {
    for (const child of children) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }
    process.exit(code)
  }
  process.on('SIGINT', () => hardExit(130))
  process.on('SIGTERM', () => hardExit(143))
  process.on('exit', () => {
    for (const child of children) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }
  })
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** User and system CPU time in ms of a /proc stat line (fields after the command name, which may contain spaces; utime/stime are fields 14/15; 100 ticks/s on Linux). */
function cpuTimesMs(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { userMs: Number(fields[11]) * 10, systemMs: Number(fields[12]) * 10 }
}

/** CPU time (user + system) a process has used so far, in ms (from /proc/PID/stat). */
export function cpuMsOf(pid) {
  const { userMs, systemMs } = cpuTimesMs(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  return userMs + systemMs
}

/**
 * CPU time the hypervisor took from this VM so far, in ms summed over its CPUs: the `steal` column of
 * /proc/stat's `cpu` line (8th value, 100 ticks/s). While a virtual CPU is stolen nothing on it runs,
 * and a thread that was due to wake on it (a timer, a socket) wakes late without waiting on a run
 * queue — latency no process on the machine can see in its own accounting.
 */
export function stealMs(procStat = readFileSync('/proc/stat', 'utf8')) {
  const cpu = /^cpu\s+(.*)$/m.exec(procStat)
  if (!cpu) throw new Error('/proc/stat has no cpu line')
  return Number(cpu[1].trim().split(/\s+/)[7] ?? 0) * 10
}

/** Stolen ms as a share (%) of all the VM's cores over `wallMs`. */
export const stealPercent = (stolenMs, wallMs) => (100 * stolenMs) / (wallMs * availableParallelism())

/** Starts measuring the hypervisor's steal; the function returned gives what was stolen since, over how long, and as a share. */
export function stealMeter() {
  const stolenBefore = stealMs()
  const startedAt = performance.now()
  return () => {
    const stolenMs = stealMs() - stolenBefore
    const wallMs = performance.now() - startedAt
    return { stolenMs, wallMs, percent: stealPercent(stolenMs, wallMs) }
  }
}

/**
 * Milliseconds the main thread of `pid` (a Node process's event loop) spent runnable but waiting
 * for a core: the run-queue wait of /proc/PID/task/PID/schedstat. Latency the machine's scheduler
 * adds, not work the process did.
 */
export function runQueueWaitMsOf(pid) {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6
}

/**
 * Every thread of `pid` by thread id: its user and system CPU time (ms), its run-queue wait (ms:
 * runnable, no core free) and its time slices so far (/proc/PID/task/TID/stat and schedstat).
 */
export function threadTimesOf(pid) {
  const times = new Map()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [, waitNs, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number)
      times.set(tid, { ...cpuTimesMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')), runQueueWaitMs: waitNs / 1e6, slices })
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times
}

/** VmRSS / VmHWM of a process in bytes (Linux). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: field('VmRSS'), hwm: field('VmHWM') }
}

/** The chat completion body every bench tool sends (a short prompt; the fake answers "You said: …"). */
export const chatBody = (model = 'bench', extra = {}) => ({ model, messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: 'Hello bench, please answer briefly.' }], ...extra })

/** POST a chat completion; returns { status, body, ms }. */
export async function chat(url, body, headers = {}) {
  const started = performance.now()
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key', ...headers },
    body: JSON.stringify(body),
  })
  const text = await response.body.text()
  return { status: response.statusCode, body: text, ms: performance.now() - started }
}

/** Poll until a chat completion answers 200 (or time runs out). */
export async function waitUntilServing(url, body, headers, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  let last
  while (Date.now() < deadline) {
    try {
      const answer = await chat(url, body, headers)
      if (answer.status === 200) return answer
      last = `${answer.status} ${answer.body.slice(0, 300)}`
    } catch (error) {
      last = error.message
    }
    await sleep(20)
  }
  throw new Error(`${url} did not serve a 200 within ${timeoutMs} ms (last: ${last})`)
}
