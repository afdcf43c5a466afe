// The open-loop client in C (load/openloop.c): built with the machine's C compiler on first use into
// bench/.build/ (again when the source is newer), run by openloop.mjs with `client: 'c'` (`--client c`).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
export const C_CLIENT_SOURCE = join(HERE, 'openloop.c')
/** Where the bench's C programs are built (gitignored). */
const binaryPath = (name) => join(HERE, '..', '.build', name)

/** The C compiler to use (`$CC`, else `cc`), or undefined when there is none. */
export function cCompiler() {
  const cc = process.env.CC || 'cc'
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' })
    return cc
  } catch {
    return undefined
  }
}

/**
 * The binary of a C source of the bench, built with `-O2` into bench/.build/NAME when missing or
 * older than its source; throws when it cannot be built.
 */
export function buildC(source, name, libraries = []) {
  const binary = binaryPath(name)
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary
  const cc = cCompiler()
  if (!cc) throw new Error(`${name} needs a C compiler (\`apt-get install -y gcc\`, or set CC)`)
  mkdirSync(dirname(binary), { recursive: true })
  const building = `${binary}.${process.pid}`
  execFileSync(cc, ['-O2', '-Wall', '-o', building, source, ...libraries], { stdio: ['ignore', 'ignore', 'inherit'] })
  renameSync(building, binary) // atomic: a parallel build never leaves a half-written binary
  return binary
}

/** The C client's binary (see buildC); `--client raw` runs without a C compiler. */
export function cClientBinary() {
  return buildC(C_CLIENT_SOURCE, 'openloop', ['-lm'])
}

/**
 * The open-loop client of run.mjs and ab.mjs unless `--client` says otherwise: `c` where it can be
 * built (a C compiler, or the binary built already), else `raw`. The Node client's own delay after a
 * send was in the direct fake's figures (its TTFT 0.59-0.84 ms against 0.26 with `c`) and not in the
 * targets', so it made their overheads look smaller (bench/README "Eighteenth session").
 */
export function defaultClient() {
  return existsSync(binaryPath('openloop')) || cCompiler() ? 'c' : 'raw'
}

/**
 * Reads the C client's output (lines, see openloop.c) into its parts. `onMeasureStart` is called at
 * the `m` line (the measured phase begins).
 */
export function parseCClientLine(line, out, onMeasureStart) {
  const kind = line[0]
  if (kind === 's') {
    const [, lat, ttft, own, sent] = line.split(' ')
    out.latency.push(Number(lat))
    if (ttft !== '-1') out.ttft.push(Number(ttft))
    if (own !== '-1') out.own.push(Number(own))
    out.sent.push(Number(sent))
  } else if (kind === 'p') {
    const [, sent, elapsed, unfinished, lastAnswerS, dispatches, alone, largestBurst] = line.split(' ').map(Number)
    out.phases.push({ sent, elapsed, unfinished, lastAnswerS, dispatches, alone, largestBurst })
  } else if (kind === 'c') {
    const [, errors, non2xx] = line.split(' ').map(Number)
    out.errors = errors
    out.non2xx = non2xx
  } else if (kind === 'e') out.firstError = line.slice(2)
  else if (kind === 'm') onMeasureStart?.()
  else if (line.length > 0) throw new Error(`unexpected line from the C client: ${line.slice(0, 80)}`)
}
