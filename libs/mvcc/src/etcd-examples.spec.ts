// docs/ETCD-BEHAVIOUR.md §8 (behaviours confirmed on etcd 3.4.23), items 1-4, 6-12 and 23,
// replayed in one store so the revisions match the recorded session.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccStore } from './mvcc-store.js';
import { checkPutRequest, checkTxnRequest, maxTxnOpsDefault } from './validate.js';
import { b, cmp, ctx, del, delOp, get, keysOf, kvError, put, putOp, rangeOp, txn, txnOp } from './spec-helpers.js';
import type { TxnRequest } from './types.js';

const checkTxn = (req: TxnRequest) => checkTxnRequest(req, { maxTxnOps: maxTxnOpsDefault });

describe('etcd §8 examples', () => {
  const s = new MvccStore();

  test('1: a fresh store is at revision 1', () => {
    assert.equal(s.revision, 1);
    assert.equal(s.compactRevision, -1);
    assert.deepEqual(s.range({ key: b('foo') }), { kvs: [], more: false, count: 0 });
  });

  test('2: delete resets version and create_revision', () => {
    assert.equal(put(s, 'a', '1').revision, 2);
    assert.equal(put(s, 'a', '2').revision, 3);
    assert.deepEqual(get(s, 'a'), { key: b('a'), create_revision: 2, mod_revision: 3, version: 2, value: b('2'), lease: '0' });
    const d = del(s, 'a');
    assert.equal(d.revision, 4);
    assert.deepEqual(d.response, { deleted: 1, prev_kvs: [] });
    put(s, 'a', '3');
    assert.deepEqual(get(s, 'a'), { key: b('a'), create_revision: 5, mod_revision: 5, version: 1, value: b('3'), lease: '0' });
  });

  test('3: deleting a missing key does not bump the revision', () => {
    const d = del(s, 'nosuchkey');
    assert.equal(d.revision, 5);
    assert.equal(d.changed, false);
    assert.deepEqual(d.events, []);
    assert.deepEqual(d.response, { deleted: 0, prev_kvs: [] });
    assert.equal(s.revision, 5);
  });

  test('4: limit, more and count', () => {
    for (const k of ['p/1', 'p/2', 'p/3', 'p/4']) put(s, k, 'v'); // revisions 6..9
    const r = s.range({ key: b('p/'), range_end: b('p0'), limit: '2' });
    assert.deepEqual(keysOf(r.kvs), ['p/1', 'p/2']);
    assert.equal(r.more, true);
    assert.equal(r.count, 4);
    assert.deepEqual(s.range({ key: b('p/'), range_end: b('p0'), count_only: true }), { kvs: [], more: false, count: 4 });
    assert.equal(s.range({ key: b('\0'), range_end: b('\0') }).count, 5); // a + p/1..p/4
  });

  test('6: Put flag errors and ignore_value with prev_kv', () => {
    assert.throws(() => put(s, 'missing', '', { ignore_value: true }), kvError('KeyNotFound'));
    assert.throws(() => checkPutRequest({ key: b('a'), value: b('x'), ignore_value: true }), kvError('ValueProvided'));
    assert.throws(() => put(s, 'a', 'x', { ignore_value: true }), kvError('ValueProvided'));
    assert.throws(() => checkPutRequest({ key: b('a'), lease: '100', ignore_lease: true }), kvError('LeaseProvided'));
    assert.throws(() => put(s, 'a', 'x', { lease: '12345' }), kvError('LeaseNotFound'));
    assert.equal(s.revision, 9);
    const r = put(s, 'a', '', { ignore_value: true, prev_kv: true }); // revision 10
    assert.deepEqual(r.response, { prev_kv: { key: b('a'), create_revision: 5, mod_revision: 5, version: 1, value: b('3'), lease: '0' } });
    assert.deepEqual(get(s, 'a'), { key: b('a'), create_revision: 5, mod_revision: 10, version: 2, value: b('3'), lease: '0' });
  });

  test('7: txn duplicate-key rules', () => {
    assert.throws(() => checkTxn({ success: [putOp('a'), putOp('a')] }), kvError('DuplicateKey'));
    assert.throws(() => checkTxn({ success: [delOp('a'), putOp('a')] }), kvError('DuplicateKey'));
    assert.throws(() => checkTxn({ success: [delOp('t', 'u'), putOp('t5')] }), kvError('DuplicateKey'));
    assert.throws(() => txn(s, { success: [putOp('a'), putOp('a')] }), kvError('DuplicateKey'));
    checkTxn({ success: [putOp('a')], failure: [putOp('a')] });
    checkTxn({ success: [delOp('a', 'c'), delOp('b', 'd')] });
    for (const k of ['x1', 'x2', 'x3']) put(s, k, 'v'); // revisions 11..13
    assert.equal(s.revision, 13);
  });

  test('8: read-only and no-op txns keep the revision', () => {
    const ro = txn(s, { success: [rangeOp('a')] });
    assert.equal(ro.revision, 13);
    assert.equal(ro.changed, false);
    const noop = txn(s, { success: [delOp('zzz')] });
    assert.equal(noop.revision, 13);
    assert.equal(noop.changed, false);
    const empty = txn(s, {});
    assert.equal(empty.revision, 13);
    assert.deepEqual(empty.response, { succeeded: true, responses: [] });
  });

  test('9: compare semantics', () => {
    const ok = (c: ReturnType<typeof cmp>) => (txn(s, { compare: [c] }).response as { succeeded: boolean }).succeeded;
    assert.equal(ok(cmp('missing', 'VALUE', 'NOT_EQUAL', 'x')), false);
    assert.equal(ok(cmp('missing', 'MOD', 'EQUAL', 0)), true);
    assert.equal(ok(cmp('p/', 'VERSION', 'EQUAL', 1, 'p0')), true);
    assert.equal(ok(cmp('p/', 'CREATE', 'GREATER', 7, 'p0')), false);
    assert.equal(s.revision, 13);
  });

  test('10: nested txn compares see the pre-txn state; nested header is empty', () => {
    const r = txn(s, {
      success: [putOp('n1'), txnOp({ compare: [cmp('n1', 'VERSION', 'GREATER', 0)], success: [putOp('n2')], failure: [rangeOp('n2')] })],
    });
    assert.equal(r.revision, 14);
    assert.deepEqual(r.response, {
      succeeded: true,
      responses: [
        { response_put: { header: { revision: 14 } } },
        {
          response_txn: {
            header: {},
            succeeded: false,
            responses: [{ response_range: { header: { revision: 14 }, kvs: [], more: false, count: 0 } }],
          },
        },
      ],
    });
  });

  test('11: 128 ops per txn are fine, 129 are too many', () => {
    const puts = (n: number) => Array.from({ length: n }, (_, i) => putOp(`many/${i}`));
    checkTxn({ success: puts(128) });
    assert.throws(() => checkTxn({ success: puts(129) }), kvError('TooManyOps'));
    assert.throws(() => checkTxn({ success: [txnOp({ failure: puts(129) })] }), kvError('TooManyOps'));
    assert.throws(() => s.write({ txn: { success: puts(129) } }, { ...ctx, maxTxnOps: 128 }), kvError('TooManyOps'));
    assert.equal(txn(s, { success: puts(128) }).events.length, 128);
  });

  test('12: compaction boundaries', () => {
    assert.deepEqual(s.compact(5), { revision: 15, compactRevision: 5 });
    assert.throws(() => s.compact(5), kvError('Compacted'));
    assert.throws(() => s.compact(4), kvError('Compacted'));
    assert.throws(() => s.compact(99999), kvError('FutureRev'));
    assert.throws(() => s.range({ key: b('a'), revision: 4 }), kvError('Compacted'));
    assert.deepEqual(keysOf(s.range({ key: b('\0'), range_end: b('\0'), revision: 5 }).kvs), ['a']);
    assert.throws(() => s.range({ key: b('a'), revision: 1000 }), kvError('FutureRev'));
  });

  test('23: range edge cases and identical puts', () => {
    assert.deepEqual(s.range({ key: b('p/2'), range_end: b('p/1') }), { kvs: [], more: false, count: 0 });
    assert.deepEqual(s.range({ key: b('p/2'), range_end: b('p/2') }), { kvs: [], more: false, count: 0 });
    const before = s.revision;
    assert.equal(del(s, 'p/2', 'p/1').changed, false);
    assert.equal(s.revision, before);
    assert.equal(s.range({ key: b('p/'), range_end: b('p0'), limit: '-1' }).kvs.length, 4);
    const v1 = put(s, 'same', 'v');
    const v2 = put(s, 'same', 'v');
    assert.equal(v2.revision, v1.revision + 1);
    assert.equal(v2.events.length, 1);
    assert.equal(get(s, 'same')?.version, 2);
  });
});
