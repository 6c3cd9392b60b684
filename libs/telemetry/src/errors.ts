// Named errors of the telemetry library (style rule 5): operators get a
// message prefixed with the library name, callers can match on `name`.

/** An `OTEL_*` variable holds a value this library cannot honour. */
export class TelemetryConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`telemetry: ${message}`, options);
    this.name = 'TelemetryConfigError';
  }
}

/** `startTelemetry` was called twice: the SDK registers process-wide globals once. */
export class TelemetryStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`telemetry: ${message}`, options);
    this.name = 'TelemetryStateError';
  }
}

/** Pending spans could not be flushed at shutdown (collector down or slow). */
export class TelemetryExportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`telemetry: ${message}`, options);
    this.name = 'TelemetryExportError';
  }
}
