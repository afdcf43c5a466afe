import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packagesDir = fileURLToPath(new URL('../../packages', import.meta.url))

/** The built JavaScript files of each package (the README's test command builds before it tests). */
function builtFiles(): Array<{ name: string; files: string[] }> {
  return readdirSync(packagesDir).map((name) => {
    const dist = join(packagesDir, name, 'dist')
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.js'))
      .map((file) => join(dist, file))
    return { name, files }
  })
}

/** Lines holding a character above U+00FF, as `file:line: text`. */
function wideLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((text, i) => (/[^\u0000-\u00ff]/.test(text) ? [`${file}:${i + 1}: ${text.trim().slice(0, 120)}`] : []))
}

// V8 keeps every module's source text on its heap (Function.prototype.toString needs it), as a
// one-byte string while all its characters are Latin-1 and as a two-byte string otherwise: one
// "—" left in a comment esbuild keeps made @modelmesh/core's 1.26 MB bundle a 2.5 MB string in
// every gateway process (bench/README, idle RSS). esbuild escapes such characters in strings and
// regular expressions itself; comments are copied as written, so keep the kept ones (JSDoc on
// class members, comments inside functions) in plain ASCII.
describe('published JavaScript', () => {
  it('every package has its build', () => {
    for (const { name, files } of builtFiles()) expect(files.length, `packages/${name}/dist has no .js: run the build first`).toBeGreaterThan(0)
  })

  it('has no character above U+00FF, so V8 holds each module source as a one-byte string', () => {
    const wide = builtFiles().flatMap(({ files }) => files.flatMap(wideLines))
    expect(wide, 'replace these characters in the source comments (— → ":" or ",", … → "...", × → "x")').toEqual([])
  })
})
