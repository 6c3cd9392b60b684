import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startOtlpReceiver } from './otlp-receiver.js';

const exportBody = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'eckd-backend' } }] },
      scopeSpans: [
        {
          scope: { name: 'eckd' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              parentSpanId: 'eee19b7ec3c1b173',
              name: 'apply change',
              kind: 1,
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000000',
              attributes: [
                { key: 'etcd.revision', value: { intValue: '42' } },
                { key: 'ok', value: { boolValue: true } },
                { key: 'keys', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
              ],
              events: [{ name: 'published change', attributes: [] }],
            },
            { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b173', parentSpanId: '', name: 'Put' },
          ],
        },
      ],
    },
  ],
};

const post = (url: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('the OTLP receiver parses a JSON trace export', async () => {
  await using receiver = await startOtlpReceiver();
  const res = await post(receiver.url, JSON.stringify(exportBody));
  assert.equal(res.status, 200);
  const spans = await receiver.waitForSpans((s) => s.length === 2, 2000);
  assert.deepEqual(
    spans.map((s) => [s.serviceName, s.name, s.parentSpanId]),
    [
      ['eckd-backend', 'apply change', 'eee19b7ec3c1b173'],
      ['eckd-backend', 'Put', undefined],
    ],
  );
  const [apply] = spans;
  assert.equal(apply!.traceId, '5b8efff798038103d269b633813fc60c');
  assert.equal(apply!.spanId, 'eee19b7ec3c1b174');
  assert.deepEqual(apply!.attributes, { 'etcd.revision': 42, ok: true, keys: ['a', 'b'] });
  assert.deepEqual(apply!.events, [{ name: 'published change', attributes: {} }]);
});

test('the OTLP receiver accepts gzip and rejects bad input without storing it', async () => {
  await using receiver = await startOtlpReceiver();
  assert.equal((await post(receiver.url, gzipSync(JSON.stringify(exportBody)), { 'content-encoding': 'gzip' })).status, 200);
  assert.equal((await post(receiver.url, '{not json')).status, 400);
  const proto = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: 'x' });
  assert.equal(proto.status, 415);
  assert.equal(receiver.spans().length, 2);
  await assert.rejects(receiver.waitForSpans((s) => s.length > 2, 200), /timed out after 200 ms/);
});
