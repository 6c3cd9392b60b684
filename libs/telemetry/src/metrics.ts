// Prometheus metrics through OpenTelemetry (docs/ARCHITECTURE.md §9).
//
// An app that serves /metrics calls `startMetrics` once, before it handles
// any traffic; the registry is then scraped through `scrape` by the ops
// listener (libs/service-kit ops-server). An app without an ops listener
// never calls it, and every instrument stays the API's no-op (the "metrics
// off" case that tools/bench measures).
//
// Instruments are declared where they are counted, at module level, with
// `counter`, `histogram` and `upDownCounter` below. They are created at first
// use: the OpenTelemetry API hands out no-op instruments before a provider is
// registered and never upgrades them, and module code runs before main.ts
// reaches `startMetrics`.
//
// Names are given exactly as Prometheus shows them (etcd's where the
// meaning matches, `eckd_` otherwise) and carry no OTel unit, so the
// exporter adds no suffix; counters end in `_total` themselves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { metrics } from '@opentelemetry/api';
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type * as ExporterPrometheus from '@opentelemetry/exporter-prometheus';
import { TelemetryStateError } from './errors.js';

/** etcd's grpc_server_handling_seconds and request latencies: 5 ms … 10 s. */
export const latencySecondsBuckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** etcd's etcd_disk_backend_commit_duration_seconds: 1 ms doubling 14 times (to ~8 s). */
export const commitSecondsBuckets: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);
/** Counts (batch sizes, queue depths): powers of four up to 65536. */
export const countBuckets: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536];

const meterName = 'eckd';
// CommonJS SDK packages, loaded only by an app that serves metrics.
const requireSdk = createRequire(import.meta.url);
let started = false;

export interface MetricsRegistry {
  /** Answers a Prometheus scrape (text format 0.0.4). */
  scrape(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

/**
 * Registers the process's MeterProvider with a Prometheus reader that the
 * caller serves, plus the process metrics Prometheus clients usually export.
 * @throws TelemetryStateError when called a second time.
 */
export function startMetrics(): MetricsRegistry {
  if (started) throw new TelemetryStateError('startMetrics called twice in one process');
  started = true;
  const { MeterProvider } = requireSdk('@opentelemetry/sdk-metrics') as typeof SdkMetrics;
  const { PrometheusExporter } = requireSdk('@opentelemetry/exporter-prometheus') as typeof ExporterPrometheus;
  // etcd's output has neither OTel's target_info nor otel_scope_* labels.
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  const stopProcessMetrics = observeProcess(meter());
  return Object.freeze({
    scrape: (req: IncomingMessage, res: ServerResponse) => exporter.getMetricsRequestHandler(req, res),
    shutdown: async () => {
      stopProcessMetrics();
      await provider.shutdown();
    },
  });
}

function meter(): Meter {
  return metrics.getMeter(meterName);
}

export interface MetricCounter {
  add(value: number, attributes?: Attributes): void;
}
export interface MetricHistogram {
  record(value: number, attributes?: Attributes): void;
}

/** A monotonic counter; `name` ends in `_total`. */
export function counter(name: string, description: string): MetricCounter {
  let instrument: MetricCounter | undefined;
  return { add: (value, attributes) => (instrument ??= meter().createCounter(name, { description })).add(value, attributes) };
}

/** A gauge that goes up and down with the calls (queue depths, open watchers). */
export function upDownCounter(name: string, description: string): MetricCounter {
  let instrument: MetricCounter | undefined;
  return { add: (value, attributes) => (instrument ??= meter().createUpDownCounter(name, { description })).add(value, attributes) };
}

export function histogram(name: string, description: string, buckets: readonly number[]): MetricHistogram {
  let instrument: MetricHistogram | undefined;
  return {
    record: (value, attributes) =>
      (instrument ??= meter().createHistogram(name, { description, advice: { explicitBucketBoundaries: [...buckets] } })).record(value, attributes),
  };
}

/**
 * A gauge read at each scrape; call after `startMetrics` (before it, the
 * callback is registered with the no-op meter and never read).
 */
export function observeGauge(name: string, description: string, read: (result: ObservableResult) => void): void {
  meter().createObservableGauge(name, { description }).addCallback(read);
}

/**
 * A monotonic counter the caller keeps itself (plain numbers on a hot path,
 * where an instrument's per-call attribute hashing would cost more than the
 * work counted) and reports at each scrape; `name` ends in `_total`. Call
 * after `startMetrics`, as `observeGauge`.
 */
export function observeCounter(name: string, description: string, read: (result: ObservableResult) => void): void {
  meter().createObservableCounter(name, { description }).addCallback(read);
}

/** client_golang's process_* names and prom-client's nodejs_* ones, read at scrape time. */
function observeProcess(m: Meter): () => void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  m.createObservableCounter('process_cpu_seconds_total', { description: 'Total user and system CPU time spent in seconds.' }).addCallback((r) => {
    const { user, system } = process.cpuUsage();
    r.observe((user + system) / 1e6);
  });
  m.createObservableGauge('process_resident_memory_bytes', { description: 'Resident memory size in bytes.' }).addCallback((r) => r.observe(process.memoryUsage.rss()));
  m.createObservableGauge('process_start_time_seconds', { description: 'Start time of the process since unix epoch in seconds.' }).addCallback((r) => r.observe(startSeconds));
  m.createObservableGauge('nodejs_heap_size_used_bytes', { description: 'Process heap size used from Node.js in bytes.' }).addCallback((r) => r.observe(process.memoryUsage().heapUsed));
  m.createObservableGauge('nodejs_heap_size_total_bytes', { description: 'Process heap size from Node.js in bytes.' }).addCallback((r) => r.observe(process.memoryUsage().heapTotal));
  // external: memory outside V8's heap held by JS objects: Buffers, and WebAssembly memories (Automerge's heap in the backend).
  m.createObservableGauge('nodejs_external_memory_bytes', { description: 'Node.js external memory size in bytes.' }).addCallback((r) => r.observe(process.memoryUsage().external));
  m.createObservableGauge('nodejs_eventloop_lag_p99_seconds', { description: 'The 99th percentile of the event loop delay since the previous scrape.' }).addCallback((r) => {
    r.observe(loopDelay.percentile(99) / 1e9);
    loopDelay.reset();
  });
  return () => loopDelay.disable();
}
