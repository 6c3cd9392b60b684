import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import { bspScheduleDelayDefaultMs, shutdownFlushTimeoutMs, startTelemetry, traceExportConfigFromEnv } from './node-sdk.js';
import { TelemetryConfigError, TelemetryStateError } from './errors.js';

const childTimeoutMs = 20_000;
/** Timer lateness allowed on a busy 2-core box. */
const shutdownSlackMs = 1_000;

// This file runs in its own process (node:test); keep the caller's OTEL_*
// settings out of it and out of the children.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];

describe('traceExportConfigFromEnv', () => {
  test('nothing is exported without an endpoint or an explicit exporter', () => {
    assert.equal(traceExportConfigFromEnv({}), undefined);
    assert.equal(traceExportConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), undefined);
    assert.equal(traceExportConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), undefined);
  });

  test('an endpoint enables OTLP over http/protobuf by default', () => {
    for (const key of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      assert.deepEqual(traceExportConfigFromEnv({ [key]: 'http://jaeger:4318' }), {
        exporters: ['otlp'],
        otlpProtocol: 'http/protobuf',
        scheduleDelayMs: bspScheduleDelayDefaultMs,
      });
    }
  });

  test('protocol, exporters and delay come from the environment', () => {
    const config = traceExportConfigFromEnv({
      OTEL_TRACES_EXPORTER: 'console, otlp,console',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    assert.deepEqual(config, { exporters: ['console', 'otlp'], otlpProtocol: 'http/json', scheduleDelayMs: 50 });
  });

  test('none and OTEL_SDK_DISABLED turn export off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    assert.equal(traceExportConfigFromEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }), undefined);
    assert.equal(traceExportConfigFromEnv({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }), undefined);
  });

  test('unsupported values are rejected with a named error', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    for (const env of [
      { OTEL_TRACES_EXPORTER: 'jaeger' },
      { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http' },
      { ...endpoint, OTEL_BSP_SCHEDULE_DELAY: 'soon' },
    ]) {
      assert.throws(() => traceExportConfigFromEnv(env), (err: Error) => {
        assert.ok(err instanceof TelemetryConfigError);
        assert.equal(err.name, 'TelemetryConfigError');
        assert.match(err.message, /^telemetry: /);
        return true;
      });
    }
  });
});

describe('startTelemetry', () => {
  test('without an endpoint: no SDK, no recording spans, no throw; only once per process', async () => {
    const telemetry = startTelemetry({ serviceName: 'telemetry-spec' });
    assert.equal(telemetry.enabled, false);
    const span = trace.getTracer('spec').startSpan('dropped');
    assert.equal(span.isRecording(), false);
    span.end();
    await telemetry.shutdown();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(!loaded.some((path) => path.includes('/@opentelemetry/sdk-node/')), 'the SDK was loaded');
    assert.throws(() => startTelemetry({ serviceName: 'again' }), TelemetryStateError);
  });

  test('http/json export: the span reaches /v1/traces with the service name', async () => {
    const collector = await startCollector();
    const { shutdownMs: _shutdownMs, ...output } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    assert.deepEqual(output, { enabled: true, recording: true, shutdownError: null });
    const request = collector.requests.find((r) => r.url === '/v1/traces');
    assert.ok(request, `no request to /v1/traces: ${JSON.stringify(collector.requests.map((r) => r.url))}`);
    assert.match(String(request.headers['content-type']), /application\/json/);
    const body = JSON.parse(request.body.toString('utf8')) as OtlpJsonTraces;
    const resourceSpans = body.resourceSpans[0]!;
    const attribute = (key: string) => resourceSpans.resource.attributes.find((a) => a.key === key)?.value.stringValue;
    assert.equal(attribute('service.name'), 'telemetry-spec');
    assert.equal(attribute('service.version'), '1.2.3');
    const spans = resourceSpans.scopeSpans.flatMap((s) => s.spans);
    assert.deepEqual(
      spans.map((s) => [s.name, s.events.map((e) => e.name)]),
      [['fixture span', ['persisted']]],
    );
  });

  test('http/protobuf to a traces endpoint; OTEL_SERVICE_NAME wins', async () => {
    const collector = await startCollector();
    const { shutdownMs: _shutdownMs, ...output } = await runFixture({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces`,
      OTEL_SERVICE_NAME: 'eckd-from-env',
    });
    assert.deepEqual(output, { enabled: true, recording: true, shutdownError: null });
    const request = collector.requests.find((r) => r.url === '/custom/traces');
    assert.ok(request, `no request to /custom/traces: ${JSON.stringify(collector.requests.map((r) => r.url))}`);
    assert.equal(request.headers['content-type'], 'application/x-protobuf');
    // Protobuf strings are plain UTF-8 bytes inside the message.
    assert.ok(request.body.includes('eckd-from-env'));
    assert.ok(!request.body.includes('telemetry-spec'));
    assert.ok(request.body.includes('fixture span'));
  });

  test('an unreachable collector makes shutdown reject with a named error, in bounded time', async () => {
    const collector = await startCollector();
    await collector.close();
    const { shutdownMs, ...output } = await runFixture({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    assert.deepEqual(output, { enabled: true, recording: true, shutdownError: 'TelemetryExportError' });
    assert.ok(shutdownMs <= shutdownFlushTimeoutMs + shutdownSlackMs, `shutdown took ${shutdownMs} ms`);
  });
});

interface OtlpJsonTraces {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: Array<{ name: string; events: Array<{ name: string }> }> }>;
  }>;
}

interface CollectedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in OTLP/HTTP collector on a free port, closed after the file's tests. */
async function startCollector(): Promise<{ url: string; requests: CollectedRequest[]; close(): Promise<void> }> {
  const requests: CollectedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      // An empty export response is valid in both JSON and protobuf.
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  after(close);
  return { url: `http://127.0.0.1:${port}`, requests, close };
}

interface FixtureOutput {
  enabled: boolean;
  recording: boolean;
  shutdownError: string | null;
  shutdownMs: number;
}

/** Runs test/emit-span.fixture.ts with the given OTEL_* variables and parses what it prints. */
async function runFixture(otelEnv: Record<string, string>): Promise<FixtureOutput> {
  const fixture = fileURLToPath(new URL('../test/emit-span.fixture.ts', import.meta.url));
  const args = ['--import', import.meta.resolve('tsx'), '--conditions=@eckd/source', fixture];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { ...cleanEnv, ...otelEnv }, timeout: childTimeoutMs },
      (err, out, errOut) => (err ? reject(new Error(`fixture failed: ${errOut}`, { cause: err })) : resolve(out)),
    );
  });
  return JSON.parse(stdout) as FixtureOutput;
}
