import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/**
 * Temporary directories for one test file, removed after its tests: `dir()` makes a new one,
 * `dbPath()` a database path inside a new one.
 */
export function tempFiles(prefix: string): { dir(): string; dbPath(): string } {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  const dir = () => {
    const made = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(made)
    return made
  }
  return { dir, dbPath: () => join(dir(), 'mesh.db') }
}
