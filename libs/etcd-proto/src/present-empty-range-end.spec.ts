import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdProtoRoot } from './proto-root.js';
import { loadEtcdGrpc } from './grpc-services.js';

const b = (s: string): Buffer => Buffer.from(s);
const empty = Buffer.alloc(0);
const fromKey = Buffer.from([0]);

function encode(typeName: string, value: Record<string, unknown>): Buffer {
  const type = etcdProtoRoot().lookupType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

function serverDecode(service: 'KV' | 'Watch', method: string, bytes: Buffer): unknown {
  const methods = loadEtcdGrpc()[service] as unknown as Record<string, { requestDeserialize: (buf: Buffer) => unknown }>;
  return methods[method]!.requestDeserialize(bytes);
}

/** The value at `path` in a decoded request. */
const at = (decoded: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, step) => (node as Record<string, unknown> | undefined)?.[step], decoded);

describe('a present but empty range_end reads as "from the key on", as etcd reads it', () => {
  test('Range and DeleteRange: present and empty becomes "\\0"; absent stays empty', () => {
    assert.deepEqual(at(serverDecode('KV', 'Range', encode('etcdserverpb.RangeRequest', { key: b('a'), range_end: empty })), 'range_end'), fromKey);
    assert.deepEqual(at(serverDecode('KV', 'Range', encode('etcdserverpb.RangeRequest', { key: b('a') })), 'range_end'), empty);
    assert.deepEqual(at(serverDecode('KV', 'Range', encode('etcdserverpb.RangeRequest', { key: b('a'), range_end: b('b') })), 'range_end'), b('b'));
    assert.deepEqual(at(serverDecode('KV', 'DeleteRange', encode('etcdserverpb.DeleteRangeRequest', { key: b('a'), range_end: empty })), 'range_end'), fromKey);
    assert.deepEqual(at(serverDecode('KV', 'DeleteRange', encode('etcdserverpb.DeleteRangeRequest', { key: b('a') })), 'range_end'), empty);
  });

  test('Txn: in compares and in range and delete ops, nested Txns too, each element on its own', () => {
    const bytes = encode('etcdserverpb.TxnRequest', {
      compare: [
        { key: b('a'), target: 'VERSION', result: 'EQUAL', version: 1 },
        { key: b('b'), target: 'VERSION', result: 'EQUAL', version: 1, range_end: empty },
      ],
      success: [
        { request_range: { key: b('c') } },
        { request_range: { key: b('d'), range_end: empty } },
        { request_put: { key: b('e'), value: empty } },
        { request_txn: { failure: [{ request_delete_range: { key: b('f'), range_end: empty } }, { request_delete_range: { key: b('g') } }] } },
      ],
      failure: [{ request_delete_range: { key: b('h'), range_end: empty } }],
    });
    const txn = serverDecode('KV', 'Txn', bytes);
    assert.deepEqual(at(txn, 'compare.0.range_end'), empty);
    assert.deepEqual(at(txn, 'compare.1.range_end'), fromKey);
    assert.deepEqual(at(txn, 'success.0.request_range.range_end'), empty);
    assert.deepEqual(at(txn, 'success.1.request_range.range_end'), fromKey);
    assert.deepEqual(at(txn, 'success.2.request_put.value'), empty);
    assert.deepEqual(at(txn, 'success.3.request_txn.failure.0.request_delete_range.range_end'), fromKey);
    assert.deepEqual(at(txn, 'success.3.request_txn.failure.1.request_delete_range.range_end'), empty);
    assert.deepEqual(at(txn, 'failure.0.request_delete_range.range_end'), fromKey);
  });

  test('Watch: a create request', () => {
    const present = serverDecode('Watch', 'Watch', encode('etcdserverpb.WatchRequest', { create_request: { key: b('a'), range_end: empty } }));
    assert.deepEqual(at(present, 'create_request.range_end'), fromKey);
    const absent = serverDecode('Watch', 'Watch', encode('etcdserverpb.WatchRequest', { create_request: { key: b('a') } }));
    assert.deepEqual(at(absent, 'create_request.range_end'), empty);
    const cancel = serverDecode('Watch', 'Watch', encode('etcdserverpb.WatchRequest', { cancel_request: { watch_id: 3 } }));
    assert.equal(at(cancel, 'cancel_request.watch_id'), '3');
  });
});
