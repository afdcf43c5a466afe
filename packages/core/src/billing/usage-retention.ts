export interface UsageRetentionOptions {
  /** Usage events that started longer ago than this are deleted. */
  readonly retentionMs: number
  /** Time between two runs. */
  readonly intervalMs: number
  readonly now: () => number
  readonly onError: (error: unknown) => void
}

/**
 * `billing.usageRetention`: deletes old usage events through the ledger store's `pruneUsage`,
 * every `intervalMs` (the first run sooner: at most 10 s after start, so that a gateway restarted
 * more often than its interval still prunes). Runs never overlap; timers do not keep the process
 * alive. Ledger entries are the store's to keep: only usage events (request metadata) expire.
 */
export class UsageRetention {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined
  private stopped = true
  /** Usage events deleted since start. */
  deleted = 0

  constructor(
    /** The ledger store's `pruneUsage`. */
    private readonly pruneUsage: (before: number) => Promise<number>,
    private readonly options: UsageRetentionOptions,
  ) {}

  start(): void {
    this.stopped = false
    this.schedule(Math.min(this.options.intervalMs, 10_000))
  }

  /** One run now (or the one under way): resolves how many events it deleted. */
  prune(): Promise<number> {
    this.running ??= this
      .pruneUsage(this.options.now() - this.options.retentionMs)
      .then((deleted) => {
        this.deleted += deleted
        return deleted
      })
      .finally(() => {
        this.running = undefined
      })
    return this.running
  }

  /** No more runs; resolves once a run under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running?.catch(() => {})
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.prune()
        .catch(this.options.onError)
        .finally(() => {
          if (!this.stopped) this.schedule(this.options.intervalMs)
        })
    }, delayMs).unref()
  }
}
