import type { UsageEvent } from './usage-event.js'

export type LogLevel = 'metadata' | 'summary' | 'full'

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly requestId?: string
  /** Structured fields; secrets are redacted by the engine before a sink sees them. */
  readonly fields?: Readonly<Record<string, unknown>>
}

export interface SpanRecord {
  readonly name: string
  readonly requestId: string
  readonly startTime: number
  readonly endTime: number
  readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>
  readonly status: 'ok' | 'error'
}

export interface FlushStats {
  readonly emitted: number
  readonly dropped: number
}

/** A sink for usage events, logs, spans. Sinks never block the request path. */
export interface ObservabilitySinkV1 {
  readonly specificationVersion: 'mesh.observability.v1'
  readonly name: string
  /** How much of a request the sink may see: metadata only by default. */
  readonly level?: LogLevel
  emit?(event: UsageEvent): void
  log?(record: LogRecord): void
  trace?(span: SpanRecord): void
  flush?(stats: FlushStats): Promise<void>
}
