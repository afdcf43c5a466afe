import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { TransformOptions, TransformResult } from 'jiti'
import { startUpV8Flags } from './start-up-heap.js'

/**
 * jiti's transformer (Babel, ~1.5 MB of code) in a short-lived worker thread. jiti calls its
 * `transform` option synchronously; the bridge posts the source to the worker and blocks on a shared
 * counter until the answer is there (the pattern of `synckit`). The main thread never loads Babel,
 * and once the config is imported `close()` ends the worker, so none of the transformer's code or
 * garbage stays in the gateway's heap. The output is exactly what jiti's own transform produces.
 */
export interface TransformBridge {
  transform(options: TransformOptions): TransformResult
  /** End the worker (idempotent). A later `transform` runs in this thread. */
  close(): void
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { port, signal, babel, v8Flags } = workerData
// Booting a worker resets V8's (process-wide) flags: put back the gateway's start-up ones.
if (v8Flags) require('node:v8').setFlagsFromString(v8Flags)
let transform, loadError
try { transform = require(babel) } catch (error) { loadError = error }
port.on('message', (options) => {
  let reply
  try {
    if (loadError) throw loadError
    const result = transform(options)
    reply = { code: result.code, error: result.error === undefined ? undefined : String(result.error && result.error.message || result.error) }
  } catch (error) {
    reply = { failed: String(error && error.stack || error) }
  }
  port.postMessage(reply)
  Atomics.add(signal, 0, 1)
  Atomics.notify(signal, 0)
})
`

/** Longest a transform may take in the worker before this thread gives up on it and transforms itself. */
const TIMEOUT_MS = 60_000

function babelPath(): string {
  // jiti's exports do not list its Babel bundle; resolve the package, then the file next to it.
  return join(dirname(createRequire(import.meta.url).resolve('jiti')), '../dist/babel.cjs')
}

let inThread: ((options: TransformOptions) => TransformResult) | undefined
function transformHere(options: TransformOptions): TransformResult {
  inThread ??= createRequire(import.meta.url)(babelPath()) as (options: TransformOptions) => TransformResult
  return inThread(options)
}

export function createTransformBridge(options: { start?: boolean } = {}): TransformBridge {
  let worker: Worker | undefined
  let port: MessagePort | undefined
  let signal: Int32Array | undefined
  let broken = false
  let closed = false
  const start = () => {
    signal = new Int32Array(new SharedArrayBuffer(4))
    const channel = new MessageChannel()
    port = channel.port1
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: channel.port2, signal, babel: babelPath(), v8Flags: startUpV8Flags() }, transferList: [channel.port2], stdout: false, stderr: false })
    worker.unref()
    worker.on('error', () => {
      broken = true
    })
  }
  if (options.start) start()
  const close = () => {
    closed = true
    port?.close()
    void worker?.terminate()
    worker = undefined
    port = undefined
  }
  return {
    transform(options) {
      if (broken || closed) return transformHere(options)
      if (!worker) start()
      const before = Atomics.load(signal!, 0)
      port!.postMessage(options)
      const deadline = Date.now() + TIMEOUT_MS
      let reply: { code?: string; error?: string; failed?: string } | undefined
      while (!reply) {
        const left = deadline - Date.now()
        if (left <= 0 || broken) break
        Atomics.wait(signal!, 0, before, Math.min(left, 1000))
        reply = receiveMessageOnPort(port!)?.message as typeof reply
      }
      if (!reply || reply.failed !== undefined) {
        // The worker could not do it (no worker threads, Babel failed to load, stuck): do it here.
        broken = true
        port?.close()
        void worker?.terminate()
        return transformHere(options)
      }
      return { code: reply.code ?? '', ...(reply.error !== undefined ? { error: reply.error } : {}) }
    },
    close,
  }
}

/**
 * A bridge started ahead of time: `mesh start` asks for it before it imports the gateway, so the worker
 * loads Babel on another core while this thread loads `@modelmesh/core`. `loadConfig` takes it (once)
 * and closes it when the config is imported.
 */
let warm: TransformBridge | undefined
export function warmTransformBridge(): void {
  warm ??= createTransformBridge({ start: true })
}
export function takeTransformBridge(): TransformBridge {
  const bridge = warm ?? createTransformBridge()
  warm = undefined
  return bridge
}
