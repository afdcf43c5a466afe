import { Type } from '@sinclair/typebox'

/** A duration as milliseconds or a string such as `250ms`, `15s`, `2m`, `1h`, `30d`. */
export const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' })], {
  description: 'Milliseconds, or a string like "250ms", "15s", "2m", "1h", "30d"',
})

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value)
  if (!match) throw new TypeError(`Invalid duration "${value}": use milliseconds or a string like "15s"`)
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!)
}

/** A byte size as a number or a string such as `4mb`, `512kb`. */
export const ByteSize = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d+(kb|mb|b)$' })], {
  description: 'Bytes, or a string like "512kb", "4mb"',
})

export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') return value
  const match = /^(\d+)(kb|mb|b)$/.exec(value)
  if (!match) throw new TypeError(`Invalid size "${value}": use bytes or a string like "4mb"`)
  const unit = match[2] === 'mb' ? 1024 * 1024 : match[2] === 'kb' ? 1024 : 1
  return Number(match[1]) * unit
}
