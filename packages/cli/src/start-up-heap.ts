import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'

/** The flags given to node (its command line and NODE_OPTIONS): a user's own choice is left alone. */
const givenToNode = (): string => [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ')

/** Sets V8 flags at run time; false when V8 refuses them. */
function setV8Flags(flags: string): boolean {
  try {
    setFlagsFromString(flags)
    return true
  } catch {
    return false
  }
}

/**
 * Start-up (importing the gateway, compiling its request validators, loading the config) allocates a
 * lot of short-lived memory in a few hundred milliseconds. With V8's defaults the young generation
 * grows to its maximum (2 × 16 MB on 64-bit) meanwhile and stays committed, idle, for the life of the
 * process. While the gateway starts, the young generation is kept at its initial size (semi-space growth
 * factor 1); `restore` puts back V8's default factor (2), so under load the young generation grows
 * exactly as it would have. Nothing is changed when the user passes any semi-space flag.
 *
 * Functions that get hot while the gateway starts are also optimised on the main thread rather than
 * by V8's background compile jobs: memory those jobs free stays in glibc's per-thread malloc arenas,
 * ~10 MB of idle RSS measured here (bench/README "Memory"). `restore` turns concurrent
 * recompilation back on, so under load optimisation never blocks the event loop.
 */
const START_UP = '--semi-space-growth-factor=1 --no-concurrent-recompilation'
const DEFAULT = '--semi-space-growth-factor=2 --concurrent-recompilation'
let active = false

export function tuneStartUpHeap(): { restore(): void } {
  const given = givenToNode()
  if (active || /semi[-_]space/.test(given) || !setV8Flags(START_UP)) return { restore() {} }
  active = true
  return {
    restore() {
      if (!active) return
      active = false
      setV8Flags(DEFAULT)
    },
  }
}

/**
 * WebAssembly is compiled by V8's baseline compiler (Liftoff) only. The one wasm a gateway runs is
 * undici's HTTP response parser (llhttp), compiled at the first upstream connection; with V8's
 * defaults its optimising compile runs on background threads and briefly takes ~35 MB (VmHWM
 * 115 → 80 MB for `mesh start`), and what those threads free stays in their malloc arenas — the
 * ~8 MB mode of the idle RSS (bench/README "Memory"). The price: the baseline parser costs ~3 % more
 * instructions on the event loop per lone billed request (`bench/instructions.mjs --main-thread`);
 * in CPU time it is inside this VM's noise. Applies to the whole process, so only the CLI sets it,
 * never the library. `MESH_LIFTOFF_ONLY=0`, or any wasm or Liftoff flag given to node
 * (`node --no-liftoff-only …/mesh start`; V8 flags are not allowed in NODE_OPTIONS), leaves V8's default.
 *
 * @returns whether the flag was set
 */
export function baselineWasm(given: string = givenToNode(), env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.MESH_LIFTOFF_ONLY === '0' || /liftoff|wasm|turbofan/i.test(given)) return false
  return setV8Flags('--liftoff-only')
}

/** V8's default `--interrupt-budget` is 67,584 (Node 20); the request path tiers up with a quarter of it. */
export const SERVING_INTERRUPT_BUDGET = 16_384

/**
 * Once the gateway listens, V8's interrupt budget (how much bytecode a function runs between two
 * looks at whether to optimise it) is lowered to a quarter, so the request path reaches optimised
 * code after fewer requests: with V8's default a gateway serving lone requests still ran much of it
 * as baseline code after 1,200 requests (bench/README). Set after start-up, so the config's loading
 * is not affected. `MESH_INTERRUPT_BUDGET=0` leaves V8's default, another number sets that budget;
 * any interrupt-budget or ticks flag given to node leaves it alone. CLI only, never the library.
 *
 * @returns the budget set, or undefined
 */
export function quickerTierUp(given: string = givenToNode(), env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (/interrupt[-_]budget|ticks[-_]before/.test(given)) return undefined
  const budget = env.MESH_INTERRUPT_BUDGET === undefined ? SERVING_INTERRUPT_BUDGET : Number(env.MESH_INTERRUPT_BUDGET)
  if (!Number.isInteger(budget) || budget <= 0) return undefined
  return setV8Flags(`--interrupt-budget=${budget}`) ? budget : undefined
}

/**
 * On a host with two cores or fewer, once the gateway listens, young-generation collections
 * (scavenges) run on the main thread alone (`--no-parallel-scavenge`). A gateway's scavenges keep
 * little (~150 KB survive one under load), so helpers gain it little; on two busy cores they must
 * first be scheduled, and the main thread waits for them: at 1,000 req/s on a 2-core VM full's
 * scavenge pauses took a median 1.02 against 1.33 ms, 38 against 50 ms of pauses in 10 s (bench/README,
 * tenth session). Hosts with more cores keep V8's default (not measured there).
 * `MESH_PARALLEL_SCAVENGE=1`, or any scavenge or single-threaded-GC flag given to node, leaves V8's
 * default. CLI only, never the library.
 *
 * @returns whether the flag was set
 */
export function serialScavengeOnSmallHosts(given: string = givenToNode(), env: NodeJS.ProcessEnv = process.env, cores: number = availableParallelism()): boolean {
  if (env.MESH_PARALLEL_SCAVENGE === '1' || cores > 2 || /scavenge|single[-_]threaded[-_]gc/.test(given)) return false
  return setV8Flags('--no-parallel-scavenge')
}
