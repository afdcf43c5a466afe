import type { LedgerStoreV1 } from '../contracts/ledger-store.js'
import type { UsageEvent } from '../contracts/usage-event.js'

export interface UsageWriterOptions {
  readonly flushIntervalMs: number
  readonly batchSize: number
  /** Events kept in memory at most while the store is slow; beyond it the oldest are dropped and counted. */
  readonly maxQueue: number
  readonly onError: (error: unknown) => void
}

/**
 * Usage events leave the request path at once: they queue in memory and are written in batches
 * (every `flushIntervalMs` or `batchSize` events). Durability mode "batched": a crash loses at
 * most the events of the last interval — never money, which the ledger settles per request.
 */
export class UsageWriter {
  private queue: UsageEvent[] = []
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private flushing: Promise<void> = Promise.resolve()
  dropped = 0
  written = 0

  constructor(
    private readonly ledger: LedgerStoreV1,
    private readonly options: UsageWriterOptions,
  ) {}

  push(event: UsageEvent): void {
    this.queue.push(event)
    if (this.queue.length > this.options.maxQueue) {
      this.queue.shift()
      this.dropped++
    }
    // A full batch is written in the next turn of the event loop, not now: `push` runs on the
    // answer's path (the settlement resolves into it), and the store's work on a batch (SQLite:
    // the post of 25 events to its worker, up to ~0.4 ms under load; their JSON, ~0.1 ms, when it
    // has no worker) would otherwise delay that one answer (bench/README.md).
    if (this.queue.length >= this.options.batchSize) this.immediate ??= setImmediate(() => void this.write(true))
    else this.flushLater()
  }

  /** Everything queued is written within the interval (a timer already set stays). */
  private flushLater(): void {
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs).unref()
  }

  /** Write what is queued; resolves when it is stored. */
  flush(): Promise<void> {
    return this.write(false)
  }

  /**
   * `fullOnly` (a batch filled): full batches only. The events queued while they were written wait
   * for their own batch to fill, or for the interval: each write costs the store a round trip
   * (SQLite: a post to its worker, which wakes it), and a remainder written at once would make
   * that two trips per batch under steady load. Otherwise (the interval, shutdown) everything.
   */
  private write(fullOnly: boolean): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    clearImmediate(this.immediate)
    this.immediate = undefined
    this.flushing = this.flushing.then(async () => {
      while (this.queue.length > 0) {
        if (fullOnly && this.queue.length < this.options.batchSize) {
          this.flushLater()
          return
        }
        const batch = this.queue.splice(0, this.options.batchSize)
        try {
          await this.ledger.recordUsage(batch)
          this.written += batch.length
        } catch (error) {
          this.options.onError(error)
          // Keep them for the next flush rather than losing them to a passing store error.
          this.queue.unshift(...batch)
          this.flushLater()
          return
        }
      }
    })
    return this.flushing
  }
}
