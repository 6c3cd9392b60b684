import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs } from './options.js';

test('flags in etcd benchmark style', () => {
  const o = parseBenchArgs(['--endpoints', 'http://a:1,b:2', '--clients=32', '--conns', '4', 'put', '--val-size', '256', '--total', '100']);
  assert.deepEqual(o.endpoints, ['a:1', 'b:2']);
  assert.equal(o.clients, 32);
  assert.equal(o.conns, 4);
  assert.equal(o.workload, 'put');
  assert.equal(o.valSize, 256);
  assert.equal(o.total, 100);
  const r = parseBenchArgs(['range', 'foo', '--consistency', 's']);
  assert.equal(r.rangeKey, 'foo');
  assert.equal(r.consistency, 's');
  assert.equal(parseBenchArgs(['watch', '--put-rate', '100']).putRate, 100);
  assert.equal(parseBenchArgs(['watch']).putRate, undefined);
  assert.throws(() => parseBenchArgs(['range']), /KEY/);
  assert.throws(() => parseBenchArgs(['put', '--clients', '0']), /positive/);
});
