import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterCutArgs } from './cluster-cut.js';
import { parseBenchArgs, parseClusterArgs } from './options.js';
import { summarizeWindows } from './stats.js';

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
  assert.equal(parseBenchArgs(['put', '--user', 'alice:pw']).user, 'alice:pw');
  assert.equal(parseBenchArgs(['put']).user, undefined);
  assert.throws(() => parseBenchArgs(['range']), /KEY/);
  assert.throws(() => parseBenchArgs(['put', '--clients', '0']), /positive/);
});

test('cluster flags', () => {
  const o = parseClusterArgs(['--members', '3', '--rate=500', '--duration', '10s', '--window', '2']);
  assert.deepEqual(o, { members: 3, rate: 500, durationMs: 10_000, windowMs: 2_000, throughputTotal: 20_000, warmupMs: 0 });
  assert.equal(parseClusterArgs([]).rate, 1000);
  assert.deepEqual(parseClusterArgs(['--total', '0', '--profile', '/tmp/p']), { members: 3, rate: 1000, durationMs: 20_000, windowMs: 5_000, throughputTotal: 0, profileDir: '/tmp/p', warmupMs: 0 });
  assert.equal(parseClusterArgs(['--warmup', '5s']).warmupMs, 5_000);
  assert.equal(parseClusterArgs(['--warmup=0']).warmupMs, 0);
  assert.throws(() => parseClusterArgs(['--warmup', '-1']), /positive/);
  assert.throws(() => parseClusterArgs(['--members', '1']), /at least 2/);
  assert.throws(() => parseClusterArgs(['--bogus', '1']), /unknown flag/);
});

test('cluster-cut flags', () => {
  assert.deepEqual(parseClusterCutArgs([]), { keys: 100_000, rate: 200, quietMs: 20_000, afterMs: 10_000, cutTimeoutMs: 600_000 });
  assert.deepEqual(parseClusterCutArgs(['--keys', '1000', '--rate=50', '--quiet', '5s', '--after', '2', '--timeout', '60s']), { keys: 1000, rate: 50, quietMs: 5_000, afterMs: 2_000, cutTimeoutMs: 60_000 });
  assert.throws(() => parseClusterCutArgs(['--rate', '0']), /positive/);
  assert.throws(() => parseClusterCutArgs(['--bogus', '1']), /unknown flag/);
});

test('lag per window', () => {
  const w = summarizeWindows('w', [{ atMs: 100, ms: 1 }, { atMs: 4_900, ms: 3 }, { atMs: 5_100, ms: 7 }], 5_000);
  assert.deepEqual(w.map((s) => [s.workload, s.requests, s.latencyMs.max]), [['w 0-5 s', 2, 3], ['w 5-10 s', 1, 7]]);
});
