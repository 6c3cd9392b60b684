// The direct response encoders must decode to what proto-loader's own
// serializer produces from the same objects (defaults aside: these leave
// zero fields out, as Go does).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdProtoRoot } from './proto-root.js';
import { protoLoaderOptions } from './proto-files.js';
import { encodeEmbedded, encodeIntField, responseEncoders } from './response-encoder.js';

const b = (s: string): Buffer => Buffer.from(s);
const kv = (key: string, rev: number, lease = '0') => ({ key: b(key), create_revision: 2, mod_revision: rev, version: 3, value: b(`v-${key}`), lease });
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: 42, raft_term: 2 };

function decodeBoth(typeName: keyof typeof responseEncoders, value: Record<string, unknown>): [unknown, unknown] {
  const type = etcdProtoRoot().lookupType(`etcdserverpb.${typeName}`.replace('etcdserverpb.Event', 'mvccpb.Event'));
  const opts = { ...protoLoaderOptions, bytes: Buffer };
  const mine = type.toObject(type.decode(responseEncoders[typeName](value)), opts);
  const theirs = type.toObject(type.decode(type.encode(type.fromObject(value)).finish()), opts);
  return [mine, theirs];
}

describe('response encoders', () => {
  const cases: [keyof typeof responseEncoders, Record<string, unknown>][] = [
    ['RangeResponse', { header, kvs: [kv('a', 5), kv('b', 7, '7587883232143147011')], more: true, count: 2 }],
    ['RangeResponse', { header: { ...header, revision: 1 }, kvs: [], more: false, count: 0 }],
    ['PutResponse', { header, prev_kv: kv('a', 3) }],
    ['PutResponse', { header }],
    ['DeleteRangeResponse', { header, deleted: 2, prev_kvs: [kv('a', 3), kv('b', 4)] }],
    [
      'TxnResponse',
      {
        header,
        succeeded: true,
        responses: [
          { response: 'response_put', response_put: { header: { revision: 42 } } },
          { response_range: { header: { revision: 42 }, kvs: [kv('x', 9)], more: false, count: 1 } },
          { response_delete_range: { header: {}, deleted: 0, prev_kvs: [] } },
          { response_txn: { header: {}, succeeded: false, responses: [{ response_range: { kvs: [], count: 0 } }] } },
        ],
      },
    ],
    ['LeaseKeepAliveResponse', { header, ID: '7587883232143147011', TTL: 60 }],
    ['LeaseKeepAliveResponse', { header, ID: 5, TTL: 0 }],
    [
      'WatchResponse',
      {
        header,
        watch_id: 3,
        events: [
          { type: 'PUT', kv: kv('a', 42), prev_kv: kv('a', 40) },
          { type: 'DELETE', kv: { key: b('b'), mod_revision: 42 } },
        ],
      },
    ],
    ['WatchResponse', { header, watch_id: -1, created: true, canceled: true, cancel_reason: 'mvcc: watcher range is empty — ✓' }],
    ['WatchResponse', { header: { ...header, revision: 0 }, watch_id: 2, canceled: true, compact_revision: 7, fragment: true }],
    ['Event', { type: 1, kv: { key: b('k'), mod_revision: 2 ** 40 } }],
  ];
  for (const [typeName, value] of cases) {
    test(`${typeName} ${JSON.stringify(Object.keys(value))}`, () => {
      const [mine, theirs] = decodeBoth(typeName, value);
      assert.deepEqual(mine, theirs);
    });
  }

  test('zero fields are left out, as Go does', () => {
    assert.equal(responseEncoders.PutResponse({ header: { cluster_id: 0, member_id: 0, revision: 5, raft_term: 0 } }).toString('hex'), '0a021805');
    assert.equal(responseEncoders.WatchResponse({ watch_id: 0, created: false }).length, 0);
  });

  test('embedded and int fields splice into a message', () => {
    const ev = responseEncoders.Event({ type: 'PUT', kv: kv('a', 42) });
    const h = responseEncoders.ResponseHeader(header);
    const spliced = Buffer.concat([encodeEmbedded(1, h), encodeIntField(2, 3), encodeEmbedded(11, ev)]);
    const whole = responseEncoders.WatchResponse({ header, watch_id: 3, events: [{ type: 'PUT', kv: kv('a', 42) }] });
    assert.deepEqual(spliced, whole);
    assert.equal(encodeIntField(2, 0).length, 0);
  });
});
