// Golden encodings that pin etcd's field numbers and wire types. The expected
// hex strings are hand-assembled from the upstream field numbers, not produced
// by this code, so a renumbered field fails here.
 
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdProtoRoot } from './proto-root.js';
import { loadEtcdGrpc } from './grpc-services.js';

const b = (s: string): Buffer => Buffer.from(s);

function encodeHex(typeName: string, value: Record<string, unknown>): string {
  const type = etcdProtoRoot().lookupType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish()).toString('hex');
}

describe('golden wire bytes', () => {
  test('PutRequest', () => {
    assert.equal(encodeHex('etcdserverpb.PutRequest', { key: b('a'), value: b('b'), lease: 5 }), '0a01611201621805');
    assert.equal(
      encodeHex('etcdserverpb.PutRequest', { key: b('a'), prev_kv: true, ignore_value: true, ignore_lease: true }),
      '0a0161200128013001',
    );
  });

  test('RangeRequest tail fields', () => {
    const hex = encodeHex('etcdserverpb.RangeRequest', {
      key: b('a'), range_end: b('b'), limit: 1, revision: 2, sort_order: 'DESCEND', sort_target: 'VALUE',
      serializable: true, keys_only: true, count_only: true,
      min_mod_revision: 3, max_mod_revision: 4, min_create_revision: 5, max_create_revision: 6,
    });
    assert.equal(hex, '0a01611201621801200228023004380140014801500358046005' + '6806');
  });

  test('RangeResponse with header, kvs, more and count', () => {
    const hex = encodeHex('etcdserverpb.RangeResponse', {
      header: { cluster_id: 1, member_id: 2, revision: 3, raft_term: 4 },
      kvs: [{ key: b('a'), create_revision: 2, mod_revision: 3, version: 2, value: b('b'), lease: 7 }],
      more: true,
      count: 5,
    });
    assert.equal(hex, '0a080801100218032004' + '120e0a01611002180320022a01623007' + '1801' + '2005');
  });

  test('WatchRequest.create_request with filters (packed) and watch_id', () => {
    const hex = encodeHex('etcdserverpb.WatchRequest', {
      create_request: {
        key: b('a'), range_end: b('b'), start_revision: 10, progress_notify: true,
        filters: ['NOPUT', 'NODELETE'], prev_kv: true, watch_id: 7, fragment: true,
      },
    });
    assert.equal(hex, '0a14' + '0a0161' + '120162' + '180a' + '2001' + '2a020001' + '3001' + '3807' + '4001');
    assert.equal(encodeHex('etcdserverpb.WatchRequest', { cancel_request: { watch_id: 3 } }), '12020803');
    assert.equal(encodeHex('etcdserverpb.WatchRequest', { progress_request: {} }), '1a00');
  });

  test('WatchResponse events use field 11', () => {
    const hex = encodeHex('etcdserverpb.WatchResponse', {
      watch_id: 1, created: true, canceled: true, compact_revision: 2, cancel_reason: 'x', fragment: true,
      events: [{ type: 'DELETE', kv: { key: b('a'), mod_revision: 4 }, prev_kv: { key: b('a'), version: 1 } }],
    });
    assert.equal(hex, '1001' + '1801' + '2001' + '2802' + '320178' + '3801' + '5a10' + '0801' + '12050a01611804' + '1a050a01612001');
  });

  test('Compare with each target_union member, and range_end at field 64', () => {
    const cmp = (v: Record<string, unknown>): string => encodeHex('etcdserverpb.Compare', { key: b('k'), ...v });
    // target VERSION is 0, left unset here: protobufjs writes a zero enum that was set explicitly
    // (still valid proto3, decoders treat both the same), Go's encoder omits it.
    assert.equal(cmp({ result: 'GREATER', version: 3 }), '08011a016b2003');
    assert.equal(cmp({ result: 'LESS', target: 'CREATE', create_revision: 4 }), '080210011a016b2804');
    assert.equal(cmp({ result: 'NOT_EQUAL', target: 'MOD', mod_revision: 5 }), '080310021a016b3005');
    assert.equal(cmp({ target: 'VALUE', value: b('v') }), '10031a016b3a0176');
    assert.equal(cmp({ target: 'LEASE', lease: 6, range_end: b('l') }), '10041a016b40068204016c');
    // A set oneof member is encoded even when zero (mod_revision == 0 means "key absent").
    assert.equal(cmp({ target: 'MOD', mod_revision: 0 }), '10021a016b3000');
  });

  test('TxnRequest with compare, success and failure ops', () => {
    const hex = encodeHex('etcdserverpb.TxnRequest', {
      compare: [{ target: 'MOD', key: b('k'), mod_revision: 0 }],
      success: [{ request_put: { key: b('k'), value: b('v') } }],
      failure: [{ request_range: { key: b('k') } }, { request_delete_range: { key: b('k') } }, { request_txn: {} }],
    });
    assert.equal(hex, '0a0710021a016b3000' + '120812060a016b120176' + '1a050a030a016b' + '1a051a030a016b' + '1a022200');
  });

  test('3.5/3.6 additions', () => {
    assert.equal(encodeHex('etcdserverpb.MemberListRequest', { linearizable: true }), '0801');
    assert.equal(encodeHex('etcdserverpb.HashKVResponse', { hash: 1, compact_revision: 2, hash_revision: 3 }), '100118022003');
    assert.equal(encodeHex('etcdserverpb.SnapshotResponse', { remaining_bytes: 1, blob: b('z'), version: '3.6.0' }), '10011a017a2205332e362e30');
    assert.equal(encodeHex('etcdserverpb.AuthStatusResponse', { enabled: true, authRevision: 3 }), '10011803');
    assert.equal(encodeHex('etcdserverpb.DowngradeRequest', { action: 'CANCEL', version: '3.5' }), '08021203332e35');
    const status = encodeHex('etcdserverpb.StatusResponse', {
      version: '3.6.0', dbSize: 1, leader: 2, raftIndex: 3, raftTerm: 4, raftAppliedIndex: 5, errors: ['e'],
      dbSizeInUse: 6, isLearner: true, storageVersion: '3.6.0', dbSizeQuota: 2147483648,
      downgradeInfo: { enabled: true, targetVersion: '3.5.0' },
    });
    assert.equal(
      status,
      '1205332e362e30' + '1801200228033004380542016548065001' + '5a05332e362e30' + '608080808008' + '6a09' + '08011205332e352e30',
    );
  });

  test('lease, lock and election messages', () => {
    assert.equal(encodeHex('etcdserverpb.LeaseGrantRequest', { TTL: 10, ID: 1 }), '080a1001');
    assert.equal(encodeHex('etcdserverpb.LeaseTimeToLiveResponse', { ID: 1, TTL: -1, grantedTTL: 2, keys: [b('a')] }),
      '1001' + '18ffffffffffffffffff01' + '2002' + '2a0161');
    assert.equal(encodeHex('v3lockpb.LockResponse', { header: { revision: 1 }, key: b('k') }), '0a021801' + '12016b');
    assert.equal(encodeHex('v3electionpb.LeaderKey', { name: b('n'), key: b('k'), rev: 3, lease: 4 }), '0a016e' + '12016b18032004');
  });
});

describe('proto-loader decoding (the __Output form)', () => {
  test('RangeResponse decodes with string int64s, Buffers and filled defaults', () => {
    const range = loadEtcdGrpc().KV.Range;
    const bytes = Buffer.from('0a080801100218032004120e0a01611002180320022a016230071801' + '2005', 'hex');
    assert.deepEqual(range.responseDeserialize(bytes), {
      header: { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' },
      kvs: [{ key: b('a'), create_revision: '2', mod_revision: '3', version: '2', value: b('b'), lease: '7' }],
      more: true,
      count: '5',
    });
  });

  test('WatchRequest decodes the oneof name and enum names', () => {
    const watch = loadEtcdGrpc().Watch.Watch;
    const decoded = watch.requestDeserialize(Buffer.from('0a070a0161' + '2a020100', 'hex'));
    assert.equal(decoded.request_union, 'create_request');
    assert.deepEqual(decoded.create_request?.filters, ['NODELETE', 'NOPUT']);
    assert.equal(decoded.create_request?.start_revision, '0');
    assert.equal(decoded.cancel_request, undefined);
  });
});
