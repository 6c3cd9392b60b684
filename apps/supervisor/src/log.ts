// JSON log lines, one object per line, in the shape the node's apps use
// (`time`, `level`, `service`, `msg`, then fields), so a reader can filter
// the whole node's output with one tool (`npm start | jq`).
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LineWriter = (line: string) => void;

/** `base` fields go on every line, e.g. `{ node: 'node2' }` for a member of a local cluster. */
export function createLogger(service: string, write: LineWriter, base: Record<string, unknown> = {}): Logger {
  const emit = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    write(JSON.stringify({ time: new Date().toISOString(), level, service, ...base, msg, ...fields }));
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** Turns an error into fields for a log line without losing its cause. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const fields: Record<string, unknown> = { error: error.message, errorName: error.name };
  if (error.cause !== undefined) fields['cause'] = error.cause instanceof Error ? error.cause.message : String(error.cause);
  return fields;
}
