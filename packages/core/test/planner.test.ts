import { describe, expect, it } from 'vitest'
import { buildRoutingTable, MeshEngine, normalizeConfig, validateConfig, type ProviderV1 } from '../src/index.js'

/** A provider with no catalogue: prices come from the targets' own `pricing`, or none. */
const provider = (id: string): ProviderV1 => ({ specificationVersion: 'mesh.provider.v1', id, dialect: 'openai-chat', capabilities: {} }) as unknown as ProviderV1

function engineOf(models: Record<string, { targets: Array<{ provider: string; model: string; pricing?: { input: number; output: number } }> }>) {
  const providers = { a: provider('acme-a'), b: provider('acme-b') }
  const config = { providers: { a: { package: 'x', factory: 'x', options: {} }, b: { package: 'x', factory: 'x', options: {} } }, models }
  const ir = normalizeConfig(validateConfig(config), () => 2)
  const credentials = new Map([
    ['a', ['k1', 'k2']],
    ['b', ['k1', 'k2']],
  ])
  return new MeshEngine(buildRoutingTable(ir), providers, credentials, {}, ir)
}

describe('Planner (pool members and prices worked out once per pool)', () => {
  const engine = engineOf({
    cheap: { targets: [{ provider: 'a', model: 'small', pricing: { input: 0.1, output: 0.4 } }] },
    dear: {
      targets: [
        { provider: 'a', model: 'big', pricing: { input: 2, output: 8 } },
        { provider: 'b', model: 'big', pricing: { input: 3, output: 9 } },
      ],
    },
    unpriced: { targets: [{ provider: 'a', model: 'small', pricing: { input: 0.1, output: 0.4 } }, { provider: 'b', model: 'mystery-model-without-a-price' }] },
  })

  it('worstPrice: the most expensive member of every pool asked, none when one is unpriced, unknown names skipped — the same on every call', () => {
    for (let round = 0; round < 3; round++) {
      expect(engine.planner.worstPrice(['cheap'])).toMatchObject({ input: 0.1, output: 0.4 })
      expect(engine.planner.worstPrice(['cheap', 'dear'])).toMatchObject({ input: 3, output: 9 })
      expect(engine.planner.worstPrice(['dear', 'cheap'])).toMatchObject({ input: 3, output: 9 })
      expect(engine.planner.worstPrice(['cheap', 'no-such-model'])).toMatchObject({ input: 0.1, output: 0.4 })
      expect(engine.planner.worstPrice(['cheap', 'unpriced'])).toBeUndefined()
      expect(engine.planner.worstPrice(['no-such-model'])).toBeUndefined()
    }
  })

  it('plans from the deployments’ current state although their candidates are built once', () => {
    const ids = () => engine.planner.plan({ models: ['dear'], body: {} }).candidates.map((c) => c.deployment.id).sort()
    const all = ids()
    expect(all).toHaveLength(4) // two targets × two keys
    const [first] = all
    const state = engine.states.get(first!)
    engine.states.standby(state, Date.now(), 'manual', undefined)
    const plan = engine.planner.plan({ models: ['dear'], body: {} })
    expect(plan.candidates.map((c) => c.deployment.id)).not.toContain(first)
    expect(plan.excluded).toEqual([{ deployment: first, model: 'dear', reason: 'manual' }])
    engine.states.activate(state, Date.now(), 'test')
    expect(ids()).toEqual(all)
    // A deployment planned through an earlier model of the request is not planned twice.
    const both = engine.planner.plan({ models: ['dear', 'dear'], body: {} }).candidates.map((c) => c.deployment.id)
    expect(both.sort()).toEqual(all)
  })
})
