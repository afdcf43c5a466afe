import { parseDuration } from '../config/duration.js'
import type { TimeoutIR } from '../config/normalize.js'
import { GatewayError } from '../errors/gateway-error.js'

const TIMEOUT_HEADERS = {
  'x-mesh-timeout-connect': 'connectMs',
  'x-mesh-timeout-first-token': 'firstTokenMs',
  'x-mesh-timeout-idle': 'idleMs',
  'x-mesh-timeout-total': 'totalMs',
} as const

/**
 * Per-request timeouts from `x-mesh-timeout-*` headers (ms or `15s`). They can only lower the
 * pool's configured values (the configured value is the upper bound); bad values are a 400.
 */
export function requestTimeouts(header: (name: string) => string | undefined): Partial<TimeoutIR> | undefined {
  let out: Partial<TimeoutIR> | undefined
  for (const [name, key] of Object.entries(TIMEOUT_HEADERS)) {
    const raw = header(name)
    if (raw === undefined) continue
    let ms: number
    try {
      ms = parseDuration(/^\d+$/.test(raw) ? Number(raw) : raw)
    } catch {
      throw GatewayError.invalidRequest(`Invalid header ${name}: "${raw}". Use milliseconds or a duration like "15s".`, name, 'invalid_header')
    }
    if (ms < 1) throw GatewayError.invalidRequest(`Invalid header ${name}: must be at least 1 ms.`, name, 'invalid_header')
    ;(out ??= {})[key] = ms
  }
  return out
}
