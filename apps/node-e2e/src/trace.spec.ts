// One Put is one trace with spans in etcd-api, backend and persister (the
// Postgres insert included), received by an OTLP receiver in the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
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
    return !!put && all.some((s) => s.traceId === put.traceId && s.name === 'postgres insert');
  }, 15_000);
  const put = spans.find((s) => s.name === 'etcd-api.Put')!;
  const trace = spans.filter((s) => s.traceId === put.traceId);
  const services = new Set(trace.map((s) => s.serviceName));
  assert.deepEqual([...services].sort(), ['eckd-backend', 'eckd-etcd-api', 'eckd-persister']);
  const insert = trace.find((s) => s.name === 'postgres insert')!;
  assert.equal(insert.serviceName, 'eckd-persister');
  assert.ok(insert.parentSpanId, 'the insert has a parent in the trace');
});
