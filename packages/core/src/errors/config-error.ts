import { MeshError } from './mesh-error.js'

const marker = Symbol.for('modelmesh.error.config')

export interface ConfigIssue {
  /** JSON-pointer-like path, e.g. `models.smart.targets[0].provider`. */
  readonly path: string
  readonly expected: string
  readonly found: string
  readonly hint?: string
}

/** A config that cannot be used. Every issue names the path, what was expected and what was found. */
export class ConfigError extends MeshError {
  private readonly [marker] = true
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : ''
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: expected ${i.expected}, found ${i.found}${i.hint ? ` (${i.hint})` : ''}`)
    super('ConfigError', `Invalid ModelMesh config${where}:\n${lines.join('\n')}`)
    this.issues = issues
  }

  static override isInstance(error: unknown): error is ConfigError {
    return MeshError.hasMarker(error, marker)
  }
}
