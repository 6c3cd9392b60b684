// The gateway's protobuf JSON against etcd's messages (etcd's gateway
// shapes, as the differential spec in conformance-e2e checks end to end).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdProtoRoot } from '@eckd/etcd-proto';
import { GatewayInputError, decodeToJson, encodeJsonRequest } from './proto-json.js';

const type = (name: string) => etcdProtoRoot().lookupType(name);
const roundTrip = (name: string, json: unknown) => decodeToJson(type(name), encodeJsonRequest(type(name), json));

describe('gateway protobuf JSON', () => {
  test('requests: proto or camelCase names, int64 as string or number, base64 bytes, enum names or numbers, unknown fields ignored', () => {
    const range = roundTrip('etcdserverpb.RangeRequest', { key: 'YQ==', rangeEnd: 'Yg==', limit: 5, revision: '7', sort_order: 'DESCEND', sortTarget: 1, unknown: 1 });
    assert.deepEqual(range, { key: 'YQ==', range_end: 'Yg==', limit: '5', revision: '7', sort_order: 'DESCEND', sort_target: 'VERSION' });
    assert.deepEqual(roundTrip('etcdserverpb.LeaseGrantRequest', { TTL: '60', ID: 0 }), { TTL: '60' });
  });

  test('responses: defaults left out, oneof members and present messages kept, uint64 as strings', () => {
    const txn = type('etcdserverpb.TxnResponse');
    const bytes = txn
      .encode(txn.fromObject({ header: { cluster_id: '18446744073709551615', revision: '0' }, succeeded: false, responses: [{ response_put: {} }] }))
      .finish();
    assert.deepEqual(decodeToJson(txn, bytes), { header: { cluster_id: '18446744073709551615' }, responses: [{ response_put: {} }] });
    const watch = type('etcdserverpb.WatchResponse');
    const event = watch.encode(watch.fromObject({ watch_id: '0', events: [{ type: 'PUT', kv: { key: Buffer.from('k'), version: '1' } }, { type: 'DELETE', kv: { key: Buffer.from('k') } }] })).finish();
    assert.deepEqual(decodeToJson(watch, event), { events: [{ kv: { key: 'aw==', version: '1' } }, { type: 'DELETE', kv: { key: 'aw==' } }] });
  });

  test('a body of the wrong shape is an InvalidArgument input error', () => {
    for (const bad of [[], 'x', { key: 5 }, { limit: 'five' }, { revision: 1.5 }, { serializable: 'yes' }, { sort_order: 'SIDEWAYS' }, { key: '***' }]) {
      assert.throws(() => encodeJsonRequest(type('etcdserverpb.RangeRequest'), bad), GatewayInputError, JSON.stringify(bad));
    }
  });
});
