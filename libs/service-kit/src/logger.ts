// Structured JSON logs, one object per line on stdout. A line written while
// a span is active carries its `trace_id` and `span_id` (OpenTelemetry's log
// field names), so a log line leads to its trace in Jaeger.
import { isSpanContextValid, trace } from '@opentelemetry/api';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(service: string, opts: { level?: LogLevel; base?: Record<string, unknown> } = {}): Logger {
  const min = levelRank[opts.level ?? parseLevel(process.env['ECKD_LOG_LEVEL'])];
  const base = { service, ...opts.base };
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levelRank[level] < min) return;
    const line = { time: new Date().toISOString(), level, ...base, msg, ...activeTraceFields(), ...fields };
    process.stdout.write(`${JSON.stringify(line, jsonReplacer)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(service, { level: opts.level, base: { ...opts.base, ...fields } }),
  };
}

/** The active span's ids, or nothing (no span, or no SDK: spans are then not recording). */
function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

function parseLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
