import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from './errors.js';
import { crc32c, encodeKeyValue, hashKv, hashStore } from './hash.js';
import { MvccStore } from './mvcc-store.js';
import { b, del, delOp, put, putOp, txn } from './spec-helpers.js';
import type { WriteContext } from './types.js';

const withLease: WriteContext = { leaseExists: (id) => id === '4660' };

/**
 * The history the golden hashes were taken on, with etcd 3.4.23
 * (`etcdctl endpoint hashkv --rev=N` after the same requests): revisions
 * 2..10, lease 4660 granted before revision 7.
 */
function goldenHistory(): MvccStore {
  const s = new MvccStore();
  put(s, 'a', '1');
  put(s, 'b', '2');
  put(s, 'a', '3');
  del(s, 'b');
  txn(s, { success: [putOp('c', '4'), putOp('d', '5'), delOp('a')] });
  s.write({ put: { key: b('e'), value: b('6'), lease: '4660' } }, withLease);
  put(s, 'c', '');
  txn(s, { success: [putOp('f', '7'), putOp('g', '8')] });
  put(s, 'f', '9');
  return s;
}

describe('hashKv', () => {
  test('crc32c is Castagnoli with Go crc32.Update chaining', () => {
    assert.equal(crc32c(Buffer.from('key')), 1084519789);
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.from('6789'), crc32c(Buffer.from('12345'))), 0xe3069283);
  });

  test('KeyValue is encoded as Go marshals it (zero fields left out)', () => {
    assert.equal(encodeKeyValue({ key: b('a') }).toString('hex'), '0a0161');
    const kv = { key: b('e'), create_revision: 7, mod_revision: 7, version: 1, value: b('6'), lease: '4660' };
    assert.equal(encodeKeyValue(kv).toString('hex'), '0a01651007180720012a013630b424');
  });

  test('equals etcd 3.4.23 at every revision of an uncompacted history', () => {
    const s = goldenHistory();
    const golden = [1084519789, 2587454935, 1827592406, 2069675932, 1125682900, 3071562260, 3363873713, 3795051313, 190314251, 225895749];
    golden.forEach((hash, i) => assert.deepEqual(hashKv(s, i + 1), { hash, revision: i + 1, compactRevision: -1 }, `revision ${i + 1}`));
    assert.deepEqual(hashKv(s), { hash: 225895749, revision: 10, compactRevision: -1 });
  });

  test('equals etcd after a compaction whose kept versions have known sub-revisions', () => {
    const s = goldenHistory();
    s.compact(6);
    assert.equal(hashKv(s).hash, 3476518761);
    assert.equal(hashKv(s, 7).hash, 1162587524);
    assert.throws(() => hashKv(s, 5), (e: unknown) => e instanceof KvError && e.rpcName === 'Compacted');
    // etcd 3.6 hashes at the compact revision itself (3.4 refused it).
    assert.equal(hashKv(s, 6).compactRevision, 6);
  });

  test('future revisions are refused; 0 is the current revision', () => {
    const s = goldenHistory();
    assert.throws(() => hashKv(s, 11), (e: unknown) => e instanceof KvError && e.rpcName === 'FutureRev');
    assert.equal(hashKv(s, 0).revision, 10);
  });

  test('a replica built from the exported state hashes the same, compacted or not', () => {
    const s = goldenHistory();
    const check = () => {
      const replica = MvccStore.fromState(s.exportState());
      for (let rev = Math.max(s.compactRevision, 1); rev <= s.revision; rev++) assert.equal(hashKv(replica, rev).hash, hashKv(s, rev).hash, `rev ${rev}`);
      assert.equal(hashStore(replica), hashStore(s));
    };
    check();
    s.compact(8);
    check();
    // etcd says 2783417565 here: d's sub-revision (1 of revision 6) went
    // with revision 6's events; eckd numbers it 0, the documented divergence.
    assert.equal(hashKv(s, 9).hash, 3875455810);
    put(s, 'h', 'x');
    check();
  });

  test('hashStore covers every stored revision; it changes with each write', () => {
    const s = goldenHistory();
    const before = hashStore(s);
    put(s, 'z', '1');
    assert.notEqual(hashStore(s), before);
    assert.equal(hashStore(new MvccStore()), 1084519789);
  });
});
