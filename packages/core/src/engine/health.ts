import type { MeshIR } from '../config/normalize.js'
import type { ModelInfo } from '../contracts/model-info.js'
import type { DeploymentRef, ProviderCallContext, ProviderV1 } from '../contracts/provider.js'
import type { RoutingTable } from '../routing/table.js'
import type { LoopClock } from './attempt-loop.js'
import type { DeploymentStates } from './deployment-state.js'

export interface ProbeOutcome {
  readonly deployment: string
  readonly ok: boolean
  readonly latencyMs: number
  readonly error?: string
}

export interface CatalogueSync {
  readonly provider: string
  readonly added: string[]
  readonly deprecated: string[]
  readonly removed: string[]
}

/**
 * Health probes and catalogue sync, feeding the rotation policy. Runs off the request path: on
 * start, on a timer, and when a standby deployment's cooldown ends and its pool wants a probe.
 */
export class Health {
  private readonly pending = new Set<string>()
  private timers: NodeJS.Timeout[] = []
  /** Models found by `sync` with `onNewModel: register`, routable as `provider/model`. */
  readonly registered = new Map<string, DeploymentRef[]>()

  constructor(
    private readonly table: RoutingTable,
    private readonly states: DeploymentStates,
    private readonly providers: Readonly<Record<string, ProviderV1>>,
    private readonly credentials: ReadonlyMap<string, ReadonlyArray<string | undefined>>,
    private readonly ir: Pick<MeshIR, 'discovery' | 'rotation' | 'models'>,
    private readonly clock: LoopClock,
  ) {}

  private context(deployment: DeploymentRef, signal: AbortSignal): ProviderCallContext {
    return { deployment, apiKey: this.credentials.get(deployment.provider)?.[deployment.keyIndex], signal, requestId: `probe_${Date.now().toString(36)}` }
  }

  /** Send a one-token request; a pass reactivates the deployment (and its provider after an outage). */
  async probe(id: string): Promise<ProbeOutcome> {
    const state = this.states.get(id)
    const { deployment } = state
    const provider = this.providers[deployment.provider]!
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error('probe timeout')), this.ir.discovery.healthTimeoutMs)
    const started = this.clock.now()
    try {
      await provider.doChat({ specificationVersion: 'mesh.chat.v1', model: deployment.model, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }], maxOutputTokens: 1 }, this.context(deployment, controller.signal))
      const now = this.clock.now()
      if (state.reason === 'provider_outage' && this.ir.rotation.providerRecovery === 'probe-success') {
        for (const other of this.states.all()) if (other.deployment.provider === deployment.provider && other.reason === 'provider_outage') this.states.activate(other, now, 'provider probe passed')
      } else if (state.status === 'standby' && !(state.reason === 'provider_outage' && this.ir.rotation.providerRecovery === 'manual')) {
        this.states.activate(state, now, 'probe passed')
      }
      return { deployment: id, ok: true, latencyMs: now - started }
    } catch (error) {
      const now = this.clock.now()
      const cooldown = this.cooldownOf(id)
      this.states.standby(state, now, state.status === 'standby' ? (state.reason ?? 'probe_failed') : 'probe_failed', now + cooldown)
      return { deployment: id, ok: false, latencyMs: now - started, error: (error as Error).message }
    } finally {
      clearTimeout(timer)
    }
  }

  private cooldownOf(id: string): number {
    for (const pool of this.table.pools.values()) if (pool.members.some((m) => m.deployment.id === id)) return pool.recover.cooldownMs
    return 30_000
  }

  /** Queue a probe (at most one in flight per deployment). */
  request(id: string): void {
    if (this.pending.has(id)) return
    this.pending.add(id)
    void this.probe(id).finally(() => this.pending.delete(id))
  }

  /** Probe every deployment of pools with `probeOnStart`; failures go to standby. */
  async probeOnStart(): Promise<ProbeOutcome[]> {
    const ids = new Set<string>()
    for (const pool of this.table.pools.values()) if (pool.recover.probeOnStart) for (const m of pool.members) ids.add(m.deployment.id)
    return Promise.all([...ids].map((id) => this.probe(id)))
  }

  /** One round of periodic probing: every standby deployment whose cooldown is over. */
  async tick(): Promise<ProbeOutcome[]> {
    const now = this.clock.now()
    const due = [...this.states.all()].filter((s) => s.status === 'standby' && s.reason !== 'manual' && s.reason !== 'maintenance' && (s.standbyUntil === undefined || s.standbyUntil <= now))
    return Promise.all(due.map((s) => this.probe(s.deployment.id)))
  }

  /** Compare each provider's catalogue with the configured targets. */
  async sync(): Promise<CatalogueSync[]> {
    const out: CatalogueSync[] = []
    const now = this.clock.now()
    for (const [name, provider] of Object.entries(this.providers)) {
      if (!provider.listModels) continue
      const mine = [...this.table.deployments.values()].filter((d) => d.provider === name)
      if (mine.length === 0) continue
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(new Error('sync timeout')), this.ir.discovery.healthTimeoutMs)
      let catalogue: ModelInfo[]
      try {
        catalogue = await provider.listModels(this.context(mine[0]!, controller.signal))
      } catch {
        continue
      } finally {
        clearTimeout(timer)
      }
      const byId = new Map(catalogue.map((m) => [m.id, m]))
      const configured = new Set(mine.map((d) => d.model))
      const result: CatalogueSync = { provider: name, added: [], deprecated: [], removed: [] }
      for (const model of configured) {
        const info = byId.get(model)
        const kind = !info ? 'removed' : info.deprecated ? 'deprecated' : undefined
        if (!kind) continue
        result[kind].push(model)
        this.states.emit({ type: kind === 'removed' ? 'model.removed' : 'model.deprecated', provider: name, model, at: now })
        if (this.ir.discovery.onDeprecatedModel === 'deactivate') {
          for (const d of mine) if (d.model === model) this.states.standby(this.states.get(d.id), now, kind === 'removed' ? 'model_removed' : 'model_deprecated', undefined)
        }
      }
      for (const info of catalogue) {
        if (configured.has(info.id) || info.deprecated) continue
        result.added.push(info.id)
        if (this.ir.discovery.onNewModel === 'ignore') continue
        this.states.emit({ type: 'model.new', provider: name, model: info.id, at: now })
        if (this.ir.discovery.onNewModel === 'register' && !this.registered.has(`${name}/${info.id}`)) {
          const keys = Math.max(1, provider.keys.length)
          const refs = Array.from({ length: keys }, (_, keyIndex) => Object.freeze({ id: `${name}/${info.id}#${keyIndex}`, provider: name, model: info.id, keyIndex }))
          for (const ref of refs) this.states.add(ref, now)
          this.registered.set(`${name}/${info.id}`, refs)
        }
      }
      out.push(result)
    }
    return out
  }

  /** Periodic probes and syncs on timers that never keep the process alive. */
  start(): void {
    const probeInterval = Math.min(...[...this.table.pools.values()].map((p) => p.recover.probeIntervalMs ?? Infinity), this.ir.discovery.healthIntervalMs ?? Infinity)
    if (Number.isFinite(probeInterval)) this.timers.push(setInterval(() => void this.tick(), probeInterval).unref())
    if (this.ir.discovery.syncIntervalMs) this.timers.push(setInterval(() => void this.sync(), this.ir.discovery.syncIntervalMs).unref())
    if ([...this.table.pools.values()].some((p) => p.recover.probeOnStart)) void this.probeOnStart()
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
  }
}
