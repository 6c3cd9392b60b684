// One Put is one trace with spans in etcd-api, backend and persister (the
// Postgres insert included), received by an OTLP receiver in the test; a
// client's `traceparent` makes eckd's spans part of the client's trace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, WatchResponse__Output } from '@eckd/etcd-proto';
import { startOtlpReceiver } from '@eckd/testing';
import type { OtlpReceiver } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let otlp: OtlpReceiver;
before(async () => {
  otlp = await startOtlpReceiver();
  f = await startNodeFixture({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_EXPORTER: 'otlp' },
  });
});
after(async () => {
  await f?.stop();
  await otlp?.stop();
});

test('a Put is one trace across etcd-api, backend and persister', async () => {
  const client = new Etcd3({ hosts: `http://${f.node.endpoints[0]}` });
  try {
    await client.put('traced').value('yes');
  } finally {
    client.close();
  }
  const spans = await otlp.waitForSpans((all) => {
    const put = all.find((s) => s.name === 'etcd-api.Put');
    // Each process exports on its own schedule: wait for the backend's spans too, not only the last hop's.
    return !!put && all.some((s) => s.traceId === put.traceId && s.name === 'postgres insert') && all.some((s) => s.traceId === put.traceId && s.serviceName === 'eckd-backend');
  }, 15_000);
  const put = spans.find((s) => s.name === 'etcd-api.Put')!;
  const trace = spans.filter((s) => s.traceId === put.traceId);
  const services = new Set(trace.map((s) => s.serviceName));
  assert.deepEqual([...services].sort(), ['eckd-backend', 'eckd-etcd-api', 'eckd-persister']);
  const insert = trace.find((s) => s.name === 'postgres insert')!;
  assert.equal(insert.serviceName, 'eckd-persister');
  assert.ok(insert.parentSpanId, 'the insert has a parent in the trace');
});

/** A client span's W3C context, as a client's tracer would send it (sampled). */
function clientTraceparent(): { traceId: string; spanId: string; metadata: grpc.Metadata } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${traceId}-${spanId}-01`);
  return { traceId, spanId, metadata };
}

test('a client\'s traceparent: Put, Range (with its read-index) and a watch\'s creation continue the client\'s trace', async () => {
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  const kv: KVClient = new etcdserverpb.KV(f.node.endpoints[0]!, grpc.credentials.createInsecure());
  const watch = new etcdserverpb.Watch(f.node.endpoints[0]!, grpc.credentials.createInsecure());
  const put = clientTraceparent();
  const range = clientTraceparent();
  const watchCreate = clientTraceparent();
  try {
    await new Promise((resolve, reject) =>
      kv.Put({ key: Buffer.from('client-traced'), value: Buffer.from('yes') }, put.metadata, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    await new Promise((resolve, reject) =>
      kv.Range({ key: Buffer.from('client-traced') }, range.metadata, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    const stream = watch.Watch(watchCreate.metadata);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (res: WatchResponse__Output) => res.created && resolve());
      stream.on('error', reject);
      stream.write({ create_request: { key: Buffer.from('client-traced') } });
    });
    stream.cancel();
    stream.on('error', () => {});
  } finally {
    kv.close();
    watch.close();
  }
  const spans = await otlp.waitForSpans(
    (all) =>
      all.some((s) => s.traceId === put.traceId && s.name === 'postgres insert') &&
      all.some((s) => s.traceId === range.traceId && s.name === 'etcd-api.read-index') &&
      all.some((s) => s.traceId === watchCreate.traceId),
    15_000,
  );
  const inTrace = (traceId: string) => spans.filter((s) => s.traceId === traceId);
  const putSpan = inTrace(put.traceId).find((s) => s.name === 'etcd-api.Put');
  assert.equal(putSpan?.parentSpanId, put.spanId, 'the Put span is a child of the client\'s span');
  assert.deepEqual([...new Set(inTrace(put.traceId).map((s) => s.serviceName))].sort(), ['eckd-backend', 'eckd-etcd-api', 'eckd-persister']);
  const rangeSpan = inTrace(range.traceId).find((s) => s.name === 'etcd-api.Range');
  assert.equal(rangeSpan?.parentSpanId, range.spanId);
  assert.equal(inTrace(range.traceId).find((s) => s.name === 'etcd-api.read-index')?.parentSpanId, rangeSpan?.spanId, 'the read-index round trip is part of the Range');
  assert.equal(inTrace(watchCreate.traceId).find((s) => s.name === 'etcd-api.Watch.create')?.parentSpanId, watchCreate.spanId);
});
