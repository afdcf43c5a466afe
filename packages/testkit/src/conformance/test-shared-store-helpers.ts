import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'

/** Options every store suite takes (`testStateStore`, `testLedgerStore`, `testCounterStore`). */
export interface StoreSuiteOptions<Store, Feature extends string> {
  /** Names the `describe` block: `<role> store conformance: <name>`. */
  name: string
  /**
   * Opens the store under test, once for the whole suite. Checks use ids of their own, so the
   * store may hold other data (a shared schema, a Redis prefix used by another run).
   */
  create(): Store | Promise<Store>
  /**
   * Opens a second instance over the same data (another connection, as a second gateway
   * process would): enables the cross-instance checks. Without it they are skipped.
   */
  peer?(store: Store): Store | Promise<Store>
  /** Runs after both instances were closed: drop the schema, delete the file, the keys. */
  cleanup?(store: Store): void | Promise<void>
  /** Features the store does not support, each with the reason shown in the skipped test's name. */
  skip?: Partial<Record<Feature, string>>
}

export interface StoreCheckEnv<Store> {
  readonly store: Store
  /** Present for checks with the `peer` feature. */
  readonly peer: Store
  /** A fresh id for this check run: `<label>-<uuid>`. */
  unique(label: string): string
}

/** One named conformance check; the suite turns each into an `it`. */
export interface StoreCheck<Store, Feature extends string> {
  readonly name: string
  /** Features the check needs; it is skipped when any is declared unsupported. */
  readonly features?: readonly Feature[]
  /** Per-check timeout in ms (concurrency checks against a remote database need more). */
  readonly timeoutMs?: number
  run(env: StoreCheckEnv<Store>): Promise<void>
}

type Closable = { close?(): Promise<void> }

/** Registers `checks` with vitest in one `describe`, with the instances opened once around them. */
export function registerStoreSuite<Store extends Closable, Feature extends string>(
  title: string,
  options: StoreSuiteOptions<Store, Feature>,
  checks: readonly StoreCheck<Store, Feature>[],
): void {
  const skip: Partial<Record<string, string>> = { ...options.skip }
  if (!options.peer && skip.peer === undefined) skip.peer = 'no peer() given to open a second instance'
  let store: Store | undefined
  let peer: Store | undefined
  let openError: unknown

  describe(`${title}: ${options.name}`, () => {
    // A store that cannot be opened (database down) fails every check with the reason, rather
    // than vitest reporting them as skipped behind one failed hook.
    beforeAll(async () => {
      try {
        store = await options.create()
        if (options.peer && skip.peer === undefined) peer = await options.peer(store)
      } catch (error) {
        openError = error
      }
    })
    afterAll(async () => {
      await peer?.close?.()
      await store?.close?.()
      if (store) await options.cleanup?.(store)
    })

    const env = (): StoreCheckEnv<Store> => {
      if (openError !== undefined) throw openError
      if (!store) throw new Error(`${title}: the store was not created`)
      const opened = store
      return {
        store: opened,
        get peer(): Store {
          if (!peer) throw new Error(`${title}: this check needs peer()`)
          return peer
        },
        unique: (label) => `${label}-${randomUUID()}`,
      }
    }

    for (const check of checks) {
      const reason = check.features?.map((feature) => skip[feature]).find((r) => r !== undefined)
      if (reason !== undefined) it.skip(`${check.name} (skipped: ${reason})`, () => {})
      else it(check.name, () => check.run(env()), check.timeoutMs)
    }
  })
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves whether it did. */
export async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > deadline) return false
    await sleep(10)
  }
}

/** Resolves the rejection of `promise` (fails when it resolves) so a check can inspect the error. */
export async function rejectionOf(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error(`${what} should have been refused, but it succeeded`)
}
