import type { ErrorObject } from 'ajv'
import type { ConfigIssue } from '../errors/config-error.js'

/** `/models/smart/targets/0/provider` → `models.smart.targets[0].provider` */
export function pointerToPath(pointer: string): string {
  if (!pointer) return ''
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '')
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root
  for (const raw of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return node
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

/** The closest known name, when it is close enough to be a likely typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/**
 * Turn ajv's errors into one issue per path. Union failures are summarised as the list of
 * accepted values instead of one error per branch.
 */
export function ajvErrorsToIssues(errors: readonly ErrorObject[], root: unknown): ConfigIssue[] {
  const byPath = new Map<string, ErrorObject[]>()
  for (const error of errors) {
    const pointer = error.keyword === 'additionalProperties'
      ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
      : error.keyword === 'required'
        ? `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`
        : error.instancePath
    const list = byPath.get(pointer) ?? []
    list.push(error)
    byPath.set(pointer, list)
  }
  const issues: ConfigIssue[] = []
  for (const [pointer, list] of byPath) {
    const path = pointerToPath(pointer)
    const found = valueAt(root, pointer)
    const extra = list.find((e) => e.keyword === 'additionalProperties')
    if (extra) {
      const schemaProps = Object.keys((extra.parentSchema as { properties?: Record<string, unknown> }).properties ?? {})
      const name = (extra.params as { additionalProperty: string }).additionalProperty
      const guess = didYouMean(name, schemaProps)
      issues.push({
        path,
        expected: `one of the known keys (${schemaProps.join(', ')})`,
        found: `unknown key "${name}"`,
        ...(guess ? { hint: `did you mean "${guess}"?` } : {}),
      })
      continue
    }
    if (list.some((e) => e.keyword === 'required')) {
      issues.push({ path, expected: 'a value (required)', found: 'nothing' })
      continue
    }
    const consts = list.filter((e) => e.keyword === 'const').map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue))
    if (consts.length > 0) {
      issues.push({ path, expected: `one of ${consts.join(' | ')}`, found: describeValue(found) })
      continue
    }
    const specific = list.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'type') ?? list.find((e) => e.keyword === 'type')
    const types = list.filter((e) => e.keyword === 'type').map((e) => (e.params as { type: string }).type)
    const expected = specific && specific.keyword !== 'type' ? `a value that ${specific.message ?? 'matches the schema'}` : types.length ? `${[...new Set(types)].join(' or ')}` : 'a valid value'
    issues.push({ path, expected, found: describeValue(found) })
  }
  return issues
}
