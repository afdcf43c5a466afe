import { closeSync, fstatSync, ftruncateSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import type { LedgerEntry } from '@modelmesh/core'

/**
 * The debit journal: an append-only file per process, next to the database, that makes a lone
 * settlement durable with one `write()` instead of a SQLite commit on the response path.
 *
 * `settle` appends the entry (one JSON line) and resolves; the entry is then written to the
 * ledger tables by a later group-commit batch (within `commitDelayMs`, with the other journaled
 * debits of that time), as any other settlement. Durability is the one
 * `synchronous: 'normal'` gives a commit: the line is in the kernel before the promise resolves,
 * so it survives a crash of the process (not of the OS). A process that opens the database replays
 * every journal it finds: an entry already in `mesh_entries` (same kind and request id — the
 * unique index) is skipped, so replaying a journal twice, or one whose entries were committed,
 * bills nothing twice. A journal is removed once its writer is gone and its entries are stored;
 * the live writer empties its own once everything in it is committed.
 */
/** Journal files this process writes (another store on the same file in this process must not remove them). */
const ownFiles = new Set<string>()

export class DebitJournal {
  private fd: number | undefined
  private bytes = 0
  /** Entries appended and not yet committed to the tables. */
  private pending = 0
  private readonly path: string

  constructor(
    readonly databasePath: string,
    /** Empty the file once it is this large and nothing in it is pending. */
    private readonly truncateAtBytes = 1024 * 1024,
  ) {
    this.path = `${databasePath}-debits-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`
    ownFiles.add(this.path)
  }

  /** Appends one entry; when this returns, the entry survives a crash of the process. */
  append(entry: LedgerEntry): void {
    this.fd ??= openSync(this.path, 'a', 0o600)
    this.bytes += writeSync(this.fd, JSON.stringify(entry) + '\n')
    this.pending++
  }

  /** One appended entry is now committed to the tables (or found there already). */
  applied(): void {
    this.pending--
    if (this.pending === 0 && this.bytes >= this.truncateAtBytes && this.fd !== undefined) {
      ftruncateSync(this.fd, 0)
      this.bytes = 0
    }
  }

  get hasPending(): boolean {
    return this.pending > 0
  }

  /** Closes the file, and removes it when every entry in it is committed. */
  close(): void {
    if (this.fd === undefined) return
    const empty = this.pending === 0
    closeSync(this.fd)
    this.fd = undefined
    if (empty) unlinkSync(this.path)
    ownFiles.delete(this.path)
  }

  /**
   * The entries of every journal of this database, and a function that removes those whose writer
   * is gone, to call once the entries are committed. A file named with this process's pid that
   * this process did not create is an earlier process's (a restarted container's pid 1, say).
   */
  static recover(databasePath: string): { entries: LedgerEntry[]; discard: () => void } {
    const dir = dirname(databasePath)
    const prefix = `${basename(databasePath)}-debits-`
    let names: string[]
    try {
      names = readdirSync(dir).filter((name) => name.startsWith(prefix) && name.endsWith('.jsonl'))
    } catch {
      return { entries: [], discard: () => {} }
    }
    const entries: LedgerEntry[] = []
    const finished: string[] = []
    for (const name of names) {
      const file = join(dir, name)
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        continue // removed meanwhile by another process's recovery
      }
      // A line cut short by a crash in the middle of its write is not a whole JSON value: skipped
      // (its settlement was never acknowledged).
      for (const line of text.split('\n')) {
        if (!line) continue
        try {
          entries.push(JSON.parse(line) as LedgerEntry)
        } catch {
          // torn tail
        }
      }
      const pid = Number(name.slice(prefix.length).split('-')[0])
      if (!ownFiles.has(file) && !writerAlive(pid)) finished.push(file)
    }
    return {
      entries,
      discard: () => {
        for (const file of finished) {
          try {
            unlinkSync(file)
          } catch {
            // already removed by another process's recovery
          }
        }
      },
    }
  }

  /** Bytes in the file now (for tests). */
  sizeOnDisk(): number {
    return this.fd === undefined ? 0 : fstatSync(this.fd).size
  }
}

/** Whether the process that wrote a journal still runs (this process's own pid: an earlier process's file; ours are in `ownFiles`). */
function writerAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
