// Summarise a `perf record -g` of a node process started with `--perf-basic-prof`: where the samples
// went by kind (kernel, V8's builtins, JS by tier, native code by library) and, with --children,
// the share of samples under each of the project's JS functions.
//   node bench/lib/perf-summary.mjs <perf.data> [filter for JS functions, default 'packages/'] [top]
import { execFileSync } from 'node:child_process'

/** Kind of one `perf report --sort dso,sym` row: V8 marks JIT code `JS:*` (optimised), `JS:^` (baseline), `JS:~` (interpreted). */
export function kindOf(dso, symbol) {
  if (symbol.startsWith('JS:*')) return 'JS, optimised (TurboFan)'
  if (symbol.startsWith('JS:^')) return 'JS, baseline (Sparkplug)'
  if (symbol.startsWith('JS:~')) return 'JS, interpreted (Ignition)'
  if (symbol.startsWith('JS:+')) return 'JS, Maglev'
  if (symbol.startsWith('JS:')) return 'JS, other (wasm, stubs)'
  if (dso === '[kernel.kallsyms]') return 'kernel'
  if (symbol.startsWith('Builtins_')) return "V8 builtins (ICs, promises, strings…)"
  return `native: ${dso}`
}

/** Rows of `perf report --stdio` text: `  12.34%  [ 0.05% ]  dso  [.] symbol` → { self, children?, dso?, symbol }. */
export function parseReport(text, { children = false, withDso = false } = {}) {
  const rows = []
  for (const line of text.split('\n')) {
    const m = children ? /^\s+([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(.*)$/.exec(line) : withDso ? /^\s+([\d.]+)%\s+(.+?)\s+\[.\]\s+(.*)$/.exec(line) : null
    if (!m) continue
    if (children) rows.push({ children: Number(m[1]), self: Number(m[2]), symbol: m[3].trim() })
    else rows.push({ self: Number(m[1]), dso: m[2], symbol: m[3].trim() })
  }
  return rows
}

const report = (file, args) => execFileSync('perf', ['report', '-i', file, '--stdio', '-g', 'none', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] })

export function summarizePerf(file, { filter = 'packages/', top = 25, print = console.log } = {}) {
  const rows = parseReport(report(file, ['--no-children', '--sort', 'dso,sym']), { withDso: true })
  const byKind = new Map()
  for (const row of rows) byKind.set(kindOf(row.dso, row.symbol), (byKind.get(kindOf(row.dso, row.symbol)) ?? 0) + row.self)
  print('── samples by kind (self)')
  for (const [kind, share] of [...byKind].sort((a, b) => b[1] - a[1])) if (share >= 0.05) print(`${share.toFixed(2).padStart(6)}%  ${kind}`)
  print('── top symbols (self)')
  for (const row of rows.slice(0, top)) print(`${row.self.toFixed(2).padStart(6)}%  ${row.symbol}  (${row.dso})`)
  const js = parseReport(report(file, ['--children', '--sort', 'sym']), { children: true }).filter((row) => row.symbol.startsWith('JS:') && row.symbol.includes(filter))
  print(`── JS functions matching "${filter}" (samples under them, inclusive)`)
  for (const row of js.slice(0, top)) print(`${row.children.toFixed(2).padStart(6)}%  ${row.symbol.replace(/file:\/\/\S*\/packages\//, 'packages/')}`)
  return { byKind, rows, js }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, filter = 'packages/', top = '25'] = process.argv.slice(2)
  summarizePerf(file, { filter, top: Number(top) })
}
