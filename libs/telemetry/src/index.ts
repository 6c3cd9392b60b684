// Public API of @eckd/telemetry. `trace.ts` helpers are for every project;
// `startTelemetry` is for apps only, once, first thing in `main.ts`.
export { addSpanEvent, contextFromHeaders, handoffEvents, injectTraceHeaders, startSpan, tracer, withSpan } from './trace.js';
export type { HeaderLookup, WithSpanOptions } from './trace.js';
export { bspScheduleDelayDefaultMs, shutdownFlushTimeoutMs, startTelemetry, traceExportConfigFromEnv } from './node-sdk.js';
export type { OtlpProtocol, Telemetry, TelemetryOptions, TraceExportConfig, TraceExporterName } from './node-sdk.js';
export { TelemetryConfigError, TelemetryExportError, TelemetryStateError } from './errors.js';
// Re-exported so callers can pass a span kind and type their callbacks
// without naming the API package themselves.
export { SpanKind } from '@opentelemetry/api';
export type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
export { commitSecondsBuckets, counter, countBuckets, histogram, latencySecondsBuckets, observeCounter, observeGauge, startMetrics, upDownCounter } from './metrics.js';
export type { MetricCounter, MetricHistogram, MetricsRegistry } from './metrics.js';
