 
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdProtoRoot, loadProtoWithEtcdImports } from './proto-root.js';
import { protoDir } from './proto-files.js';

describe('etcdProtoRoot', () => {
  test('is memoised and keeps the .proto field names', () => {
    assert.equal(etcdProtoRoot(), etcdProtoRoot());
    const put = etcdProtoRoot().lookupType('etcdserverpb.PutRequest');
    assert.deepEqual(Object.keys(put.fields), ['key', 'value', 'lease', 'prev_kv', 'ignore_value', 'ignore_lease']);
  });

  test('round-trips a nested TxnRequest', () => {
    const type = etcdProtoRoot().lookupType('etcdserverpb.TxnRequest');
    const value = {
      compare: [{ result: 'LESS', target: 'LEASE', key: Buffer.from('k'), lease: '9223372036854775807', range_end: Buffer.from([0]) }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from([0, 255]), lease: '1', prev_kv: true } }],
      failure: [{ request_txn: { success: [{ request_range: { key: Buffer.from('a'), limit: '-1', sort_target: 'MOD' } }] } }],
    };
    const bytes = type.encode(type.fromObject(value)).finish();
    const decoded = type.toObject(type.decode(bytes), { longs: String, enums: String, oneofs: true });
    assert.deepEqual(decoded, {
      compare: [{ ...value.compare[0], target_union: 'lease' }],
      success: [{ ...value.success[0], request: 'request_put' }],
      failure: [{ request_txn: { success: [{ ...value.failure[0]!.request_txn.success[0], request: 'request_range' }] }, request: 'request_txn' }],
    });
  });
});

describe('loadProtoWithEtcdImports', () => {
  test('resolves imports of etcd protos from another include dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-proto-spec-'));
    try {
      writeFileSync(
        join(dir, 'wire.proto'),
        'syntax = "proto3";\npackage eckdtest;\nimport "etcdserverpb/rpc.proto";\n' +
          'message Envelope { uint32 v = 1; etcdserverpb.PutRequest put = 2; mvccpb.KeyValue kv = 3; }\n',
      );
      const root = loadProtoWithEtcdImports(['wire.proto'], [dir]);
      const envelope = root.lookupType('eckdtest.Envelope');
      const bytes = envelope.encode(envelope.fromObject({ v: 1, put: { key: Buffer.from('a'), value: Buffer.from('b'), lease: 5 } })).finish();
      assert.equal(Buffer.from(bytes).toString('hex'), '0801' + '12080a01611201621805');
      assert.equal(root.lookupType('mvccpb.KeyValue').fields['mod_revision']?.id, 3);
      assert.ok(root.files.some((f) => f === join(protoDir, 'mvccpb', 'kv.proto')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails loudly when an import cannot be found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-proto-spec-'));
    try {
      writeFileSync(join(dir, 'bad.proto'), 'syntax = "proto3";\nimport "nope/missing.proto";\n');
      assert.throws(() => loadProtoWithEtcdImports(['bad.proto'], [dir]), /ENOENT|missing\.proto/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
