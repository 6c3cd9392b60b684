// OpenTelemetry SDK bootstrap for eckd processes.
//
// Call `startTelemetry` first thing in each app's `main.ts` (right after the
// imports, before any other statement) and call `shutdown()` on SIGTERM so the
// last spans are flushed:
//
//   import { startTelemetry } from '@eckd/telemetry';
//   const telemetry = startTelemetry({ serviceName: 'eckd-backend' });
//   onShutdown('telemetry', () => telemetry.shutdown());
//
// Only apps call it, once per process; libraries use the helpers of
// `trace.ts`, which work (as no-ops) before or without it.
//
// Configuration is the standard OTEL_* variables. Nothing is exported unless
// an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// or OTEL_TRACES_EXPORTER is set; then spans go over OTLP (Jaeger accepts it)
// with OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL = http/protobuf (default),
// http/json or grpc. No auto-instrumentation: eckd makes its own spans.
import { createRequire } from 'node:module';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type * as Resources from '@opentelemetry/resources';
import type * as Core from '@opentelemetry/core';
import type * as SemanticConventions from '@opentelemetry/semantic-conventions';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as OtlpJson from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpGrpc from '@opentelemetry/exporter-trace-otlp-grpc';
import { TelemetryConfigError, TelemetryExportError, TelemetryStateError } from './errors.js';

/** Short, so spans show up in Jaeger (and in tests) within a second. */
export const bspScheduleDelayDefaultMs = 500;
/** Bounds `shutdown()`: with the collector down, OTLP retries would take ~10 s. */
export const shutdownFlushTimeoutMs = 3_000;

export interface TelemetryOptions {
  /** `service.name`, unless OTEL_SERVICE_NAME overrides it. */
  serviceName: string;
  serviceVersion?: string;
}

export interface Telemetry {
  /** False when the environment asks for no export: no SDK was loaded. */
  readonly enabled: boolean;
  /**
   * Flushes pending spans and stops exporting; idempotent. Rejects with a
   * TelemetryExportError when the flush fails or exceeds shutdownFlushTimeoutMs.
   */
  shutdown(): Promise<void>;
}

export type TraceExporterName = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** What the OTEL_* variables ask for, validated. */
export interface TraceExportConfig {
  readonly exporters: readonly TraceExporterName[];
  readonly otlpProtocol: OtlpProtocol;
  readonly scheduleDelayMs: number;
}

const exporterNames: readonly string[] = ['otlp', 'console'];
const otlpProtocols: readonly string[] = ['http/protobuf', 'http/json', 'grpc'];

// The SDK is CommonJS and costs ~0.3 s and ~20 MB to load, so it is required
// lazily and only when export is enabled, which keeps `startTelemetry`
// synchronous and the disabled path nearly free.
const requireSdk = createRequire(import.meta.url);

let started = false;

/**
 * Reads the OTEL_* variables; `undefined` means export nothing (no endpoint,
 * no explicit exporter, `none`, or OTEL_SDK_DISABLED=true).
 * @throws TelemetryConfigError on an unsupported exporter, protocol or delay.
 */
export function traceExportConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TraceExportConfig | undefined {
  if (envString(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const listed = [...new Set((envString(env, 'OTEL_TRACES_EXPORTER') ?? '').split(',').map((s) => s.trim()))].filter(
    (s) => s !== '',
  );
  if (listed.includes('none')) return undefined;
  const hasEndpoint =
    envString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    envString(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;
  if (listed.length === 0 && !hasEndpoint) return undefined;
  for (const name of listed) {
    if (!exporterNames.includes(name)) {
      throw new TelemetryConfigError(`unsupported OTEL_TRACES_EXPORTER value "${name}" (use otlp, console or none)`);
    }
  }
  const protocol =
    envString(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? envString(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (!otlpProtocols.includes(protocol)) {
    throw new TelemetryConfigError(`unsupported OTLP protocol "${protocol}" (use ${otlpProtocols.join(', ')})`);
  }
  return Object.freeze({
    exporters: Object.freeze((listed.length > 0 ? listed : ['otlp']) as TraceExporterName[]),
    otlpProtocol: protocol as OtlpProtocol,
    scheduleDelayMs: scheduleDelayFromEnv(env),
  });
}

/**
 * Starts the OpenTelemetry Node SDK for this process (traces only, W3C
 * trace-context propagation). Call once, first thing in `main.ts`.
 * @throws TelemetryConfigError on unusable OTEL_* values.
 * @throws TelemetryStateError when called a second time.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (typeof options.serviceName !== 'string' || options.serviceName === '') {
    throw new TypeError('telemetry: serviceName must be a non-empty string');
  }
  if (started) throw new TelemetryStateError('startTelemetry called twice in one process');
  const config = traceExportConfigFromEnv();
  started = true;
  if (config === undefined) return Object.freeze({ enabled: false, shutdown: () => Promise.resolve() });

  const { NodeSDK } = requireSdk('@opentelemetry/sdk-node') as typeof SdkNode;
  const { W3CTraceContextPropagator } = requireSdk('@opentelemetry/core') as typeof Core;
  const sdk = new NodeSDK({
    // Merged under the detected resource, so OTEL_SERVICE_NAME and
    // OTEL_RESOURCE_ATTRIBUTES win over the names given in code.
    resource: serviceResource(options),
    spanProcessors: config.exporters.map((name) => batchProcessor(createExporter(name, config), config)),
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    // Traces only: without these the SDK would also start OTLP metrics and logs.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return Object.freeze({
    enabled: true,
    shutdown: () => (stopping ??= boundedShutdown(sdk)),
  });
}

function boundedShutdown(sdk: SdkNode.NodeSDK): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TelemetryExportError(`flushing spans did not finish within ${shutdownFlushTimeoutMs} ms`)),
      shutdownFlushTimeoutMs,
    );
    timer.unref();
  });
  const flushed = sdk.shutdown().catch((err: unknown) => {
    throw new TelemetryExportError('flushing spans failed', { cause: err });
  });
  // race() subscribes to both, so a late failure of the loser is still handled.
  return Promise.race([flushed, timedOut]).finally(() => clearTimeout(timer));
}

function serviceResource(options: TelemetryOptions): Resources.Resource {
  const { defaultResource, resourceFromAttributes } = requireSdk('@opentelemetry/resources') as typeof Resources;
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = requireSdk(
    '@opentelemetry/semantic-conventions',
  ) as typeof SemanticConventions;
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: options.serviceName };
  if (options.serviceVersion !== undefined) attributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  return defaultResource().merge(resourceFromAttributes(attributes));
}

function batchProcessor(exporter: SdkTraceBase.SpanExporter, config: TraceExportConfig): SdkTraceBase.SpanProcessor {
  const { BatchSpanProcessor } = requireSdk('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase;
  // The other OTEL_BSP_* variables are applied by the processor itself.
  return new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.scheduleDelayMs });
}

/** The exporters read their endpoint, headers and timeout from OTEL_* themselves. */
function createExporter(name: TraceExporterName, config: TraceExportConfig): SdkTraceBase.SpanExporter {
  if (name === 'console') {
    return new (requireSdk('@opentelemetry/sdk-trace-base') as typeof SdkTraceBase).ConsoleSpanExporter();
  }
  switch (config.otlpProtocol) {
    case 'http/protobuf':
      return new (requireSdk('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProto).OTLPTraceExporter();
    case 'http/json':
      return new (requireSdk('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpJson).OTLPTraceExporter();
    case 'grpc':
      return new (requireSdk('@opentelemetry/exporter-trace-otlp-grpc') as typeof OtlpGrpc).OTLPTraceExporter();
  }
}

function scheduleDelayFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = envString(env, 'OTEL_BSP_SCHEDULE_DELAY');
  if (raw === undefined) return bspScheduleDelayDefaultMs;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new TelemetryConfigError(`OTEL_BSP_SCHEDULE_DELAY must be a non-negative number of ms, got "${raw}"`);
  }
  return ms;
}

/** Empty and unset are the same thing for OTEL_* variables (per the spec). */
function envString(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
