import { createMesh, defineConfig, type Mesh, type MeshConfig, type ModelConfig } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'
import { startFakeOpenAI, type FakeUpstream } from '@modelmesh/testkit'
import { chatBody, post } from './helpers.js'

/** A clock the test moves by hand: sleeps advance it instantly, randomness is a seeded sequence. */
export function manualClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let now = start
  let seed = 42
  let real = false
  const clock = {
    now: () => (real ? Date.now() : now),
    /** Follow the wall clock from now on (for tests that measure real upstream latency). */
    useRealTime() {
      real = true
    },
    sleep: async (ms: number) => {
      now += ms
    },
    random: () => {
      seed = (seed * 16807) % 2147483647
      return (seed - 1) / 2147483646
    },
    advance(ms: number) {
      now += ms
    },
    set(at: number) {
      now = at
    },
    reseed(value = 42) {
      seed = value
    },
  }
  return clock
}

export interface RoutingSetup {
  fakes: FakeUpstream[]
  mesh: Mesh
  clock: ReturnType<typeof manualClock>
  /** Which fake (index) served a response. */
  served(response: Response): number
  ask(extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>
  close(): Promise<void>
}

/** `count` fakes, one provider each (`up0`…), one pool `smart` over them with the given rules. */
export async function routingSetup(count: number, pool: Partial<ModelConfig> = {}, extra: Partial<MeshConfig> & Record<string, unknown> = {}, keysPerProvider = 1): Promise<RoutingSetup> {
  const fakes: FakeUpstream[] = []
  for (let i = 0; i < count; i++) fakes.push(await startFakeOpenAI())
  const clock = manualClock()
  const providers = Object.fromEntries(fakes.map((f, i) => [`up${i}`, openai({ baseURL: f.baseURL, keys: Array.from({ length: keysPerProvider }, (_, k) => `key-${i}-${k}`) })]))
  const config = defineConfig({
    ...extra,
    providers,
    models: { smart: { targets: fakes.map((_, i) => ({ provider: `up${i}`, model: `model-${i}` })), retry: { attempts: 0 }, ...pool } },
  } as MeshConfig)
  const mesh = createMesh(config, { onError: () => {}, clock, background: false })
  await mesh.ready
  return {
    fakes,
    mesh,
    clock,
    served: (response) => Number(response.headers.get('x-mesh-provider')!.slice(2)),
    ask: (more = {}, headers = {}) => post(mesh, chatBody(more), headers),
    async close() {
      await mesh.close()
      await Promise.all(fakes.map((f) => f.close()))
    },
  }
}
