import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccStore } from './mvcc-store.js';
import { b, cmp, del, delOp, get, keysOf, kvError, put, putOp, rangeOp, str, txn, txnOp } from './spec-helpers.js';
import type { Compare, TxnResponseBody } from './types.js';

/** rev 2 put a=m (lease 100), 3 put a=n, 4 put c=x, 5 put z=1, 6 del z. a{c2 m3 v2 n lease 0}, c{c4 m4 v1 x}. */
function dataset(): MvccStore {
  const s = new MvccStore();
  put(s, 'a', 'm', { lease: '100' });
  put(s, 'a', 'n', { lease: '100' });
  put(s, 'c', 'x');
  put(s, 'z', '1');
  del(s, 'z');
  return s;
}

const succeeded = (s: MvccStore, compare: Compare[]): boolean => (txn(s, { compare }).response as TxnResponseBody).succeeded;

describe('compare', () => {
  const table: Array<[string, Compare, boolean]> = [
    ['VALUE EQUAL', cmp('a', 'VALUE', 'EQUAL', 'n'), true],
    ['VALUE GREATER', cmp('a', 'VALUE', 'GREATER', 'm'), true],
    ['VALUE LESS (bytes order)', cmp('a', 'VALUE', 'LESS', 'na'), true],
    ['VALUE NOT_EQUAL', cmp('a', 'VALUE', 'NOT_EQUAL', 'n'), false],
    ['VALUE on a missing key is false even for NOT_EQUAL', cmp('b', 'VALUE', 'NOT_EQUAL', 'n'), false],
    ['VALUE on a deleted key is false', cmp('z', 'VALUE', 'NOT_EQUAL', ''), false],
    ['VERSION EQUAL', cmp('a', 'VERSION', 'EQUAL', 2), true],
    ['VERSION GREATER', cmp('a', 'VERSION', 'GREATER', 2), false],
    ['VERSION of missing key is 0', cmp('b', 'VERSION', 'EQUAL', 0), true],
    ['CREATE EQUAL', cmp('a', 'CREATE', 'EQUAL', 2), true],
    ['CREATE LESS', cmp('a', 'CREATE', 'LESS', 3), true],
    ['CREATE of deleted key is 0', cmp('z', 'CREATE', 'EQUAL', 0), true],
    ['MOD EQUAL', cmp('a', 'MOD', 'EQUAL', 3), true],
    ['MOD NOT_EQUAL', cmp('a', 'MOD', 'NOT_EQUAL', 3), false],
    ['MOD of missing key is 0', cmp('b', 'MOD', 'EQUAL', '0'), true],
    ['MOD GREATER on missing key', cmp('b', 'MOD', 'GREATER', 0), false],
    ['LEASE EQUAL', cmp('a', 'LEASE', 'EQUAL', '100'), true],
    ['LEASE of unleased key is 0', cmp('c', 'LEASE', 'EQUAL', 0), true],
    ['LEASE GREATER', cmp('a', 'LEASE', 'GREATER', '99'), true],
    ['range: every key must match', cmp('a', 'VERSION', 'EQUAL', 2, 'd'), false],
    ['range: all keys match', cmp('a', 'CREATE', 'GREATER', 1, 'd'), true],
    ['range "\\0"', cmp('a', 'MOD', 'LESS', 5, '\0'), true],
    ['empty range compares as missing key', cmp('d', 'MOD', 'EQUAL', 0, 'e'), true],
    ['range_end <= key compares as missing key', cmp('c', 'VERSION', 'EQUAL', 0, 'a'), true],
    ['VALUE over an empty range is false', cmp('d', 'VALUE', 'NOT_EQUAL', 'q', 'e'), false],
  ];
  const s = dataset();
  for (const [name, c, expected] of table) test(name, () => assert.equal(succeeded(s, [c]), expected));

  test('operand of another target counts as zero; missing discriminator is tolerated', () => {
    assert.equal(succeeded(s, [{ key: b('a'), target: 'MOD', result: 'EQUAL', target_union: 'version', version: '3' }]), false);
    assert.equal(succeeded(s, [{ key: b('a'), target: 'MOD', result: 'GREATER', target_union: 'version', version: '99' }]), true);
    assert.equal(succeeded(s, [{ key: b('a'), target: 'MOD', result: 'EQUAL', mod_revision: '3' }]), true);
    assert.equal(succeeded(s, [{ key: b('a'), target: 2, result: 0, mod_revision: 3 }]), true);
    assert.equal(succeeded(s, [{ key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('n') }]), true);
  });

  test('compares are ANDed; an empty list holds', () => {
    assert.equal(succeeded(s, [cmp('a', 'MOD', 'EQUAL', 3), cmp('c', 'MOD', 'EQUAL', 4)]), true);
    assert.equal(succeeded(s, [cmp('a', 'MOD', 'EQUAL', 3), cmp('c', 'MOD', 'EQUAL', 5)]), false);
    assert.equal(succeeded(s, []), true);
  });
});

describe('txn', () => {
  test('k8s create/update/delete shapes and inner headers', () => {
    const s = new MvccStore();
    const create = txn(s, { compare: [cmp('/r/p', 'MOD', 'EQUAL', 0)], success: [putOp('/r/p', 'v1')] });
    assert.deepEqual(create.response, { succeeded: true, responses: [{ response_put: { header: { revision: 2 } } }] });
    const again = txn(s, { compare: [cmp('/r/p', 'MOD', 'EQUAL', 0)], success: [putOp('/r/p', 'v1')], failure: [rangeOp('/r/p')] });
    assert.equal(again.changed, false);
    const failed = again.response as TxnResponseBody;
    assert.equal(failed.succeeded, false);
    assert.deepEqual(failed.responses, [{ response_range: { header: { revision: 2 }, kvs: [get(s, '/r/p')], more: false, count: 1 } }]);
    const update = txn(s, { compare: [cmp('/r/p', 'MOD', 'EQUAL', 2)], success: [putOp('/r/p', 'v2')], failure: [rangeOp('/r/p')] });
    assert.equal(update.revision, 3);
    const remove = txn(s, { compare: [cmp('/r/p', 'MOD', 'EQUAL', 3)], success: [delOp('/r/p')], failure: [rangeOp('/r/p')] });
    assert.deepEqual(remove.response, { succeeded: true, responses: [{ response_delete_range: { header: { revision: 4 }, deleted: 1, prev_kvs: [] } }] });
  });

  test('a Range after a Put in the same txn sees the Put; one revision; events in op order', () => {
    const s = dataset();
    const r = txn(s, { success: [rangeOp('a'), putOp('b', 'new'), delOp('c'), rangeOp('a', 'z'), putOp('a', 'A')] });
    assert.equal(r.revision, 7);
    const res = r.response as TxnResponseBody;
    const headers = res.responses.map((op) => Object.values(op)[0].header.revision);
    assert.deepEqual(headers, [6, 7, 7, 7, 7]);
    const inner = res.responses[3] as { response_range: { kvs: { key: Buffer }[]; count: number } };
    assert.deepEqual(keysOf(inner.response_range.kvs), ['a', 'b']);
    assert.deepEqual(
      r.events.map((e) => `${e.type} ${str(e.kv.key)} ${e.kv.mod_revision}`),
      ['PUT b 7', 'DELETE c 7', 'PUT a 7'],
    );
  });

  test('a delete of nothing after a write reports the pending revision', () => {
    const s = dataset();
    const res = txn(s, { success: [delOp('nope'), putOp('b'), delOp('nope2')] }).response as TxnResponseBody;
    assert.deepEqual(res.responses.map((op) => Object.values(op)[0].header.revision), [6, 7, 7]);
  });

  test('Range with an explicit revision inside a txn reads history; future revisions fail the txn', () => {
    const s = dataset();
    const r = txn(s, { success: [putOp('a', 'new'), rangeOp('a', undefined, { revision: 2 }), rangeOp('a', undefined, { revision: 6 })] });
    const res = r.response as TxnResponseBody;
    const values = res.responses.slice(1).map((op) => str((op as { response_range: { kvs: { value: Buffer }[] } }).response_range.kvs[0]?.value));
    assert.deepEqual(values, ['m', 'n']);
    assert.throws(() => txn(s, { success: [putOp('q'), rangeOp('a', undefined, { revision: 8 })] }), kvError('FutureRev'));
    assert.equal(get(s, 'q'), undefined);
    s.compact(5);
    assert.throws(() => txn(s, { success: [rangeOp('a', undefined, { revision: 4 })] }), kvError('Compacted'));
  });

  test('an apply-time error on the chosen branch fails the whole txn with no effect', () => {
    const s = dataset();
    const before = s.range({ key: b('\0'), range_end: b('\0') });
    assert.throws(() => txn(s, { success: [putOp('a', 'x'), delOp('c'), putOp('new'), putOp('b', 'v', { lease: '999' })] }), kvError('LeaseNotFound'));
    assert.throws(() => txn(s, { success: [putOp('x'), txnOp({ success: [putOp('y', '', { ignore_value: true })] })] }), kvError('KeyNotFound'));
    assert.equal(s.revision, 6);
    assert.deepEqual(s.range({ key: b('\0'), range_end: b('\0') }), before);
    assert.equal(s.keyCount(), 2);
    assert.deepEqual(s.eventsBetween(6, 10).map((p) => p.revision), [6]);
  });

  test('like etcd, every Put of the chosen path is checked before any Range', () => {
    const s = dataset();
    assert.throws(() => txn(s, { success: [rangeOp('a', undefined, { revision: 99 }), txnOp({ success: [putOp('b', 'v', { lease: '999' })] })] }), kvError('LeaseNotFound'));
    assert.throws(() => txn(s, { success: [rangeOp('a', undefined, { revision: 99 }), putOp('b')] }), kvError('FutureRev'));
    assert.throws(() => txn(s, { success: [putOp('b', 'v', { lease: '999' }), putOp('q', '', { ignore_lease: true })] }), kvError('LeaseNotFound'));
    assert.equal(s.revision, 6);
  });

  test('errors on the branch not taken are ignored', () => {
    const s = dataset();
    const r = txn(s, { compare: [cmp('a', 'MOD', 'EQUAL', 3)], success: [putOp('b')], failure: [putOp('b', 'v', { lease: '999' }), rangeOp('a', undefined, { revision: 99 })] });
    assert.equal(r.changed, true);
  });

  test('nested compares are all evaluated on the pre-txn state before any op runs', () => {
    const s = dataset();
    const r = txn(s, {
      success: [
        putOp('c', 'changed'),
        txnOp({ compare: [cmp('c', 'VALUE', 'EQUAL', 'x')], success: [putOp('then')], failure: [putOp('else')] }),
        txnOp({ compare: [cmp('then', 'VERSION', 'EQUAL', 0)], success: [txnOp({ compare: [cmp('a', 'MOD', 'EQUAL', 3)], success: [rangeOp('then')] })] }),
      ],
    });
    const res = r.response as TxnResponseBody;
    const nested = res.responses[1] as { response_txn: TxnResponseBody };
    assert.equal(nested.response_txn.succeeded, true);
    assert.deepEqual(nested.response_txn.header, {});
    const deep = (res.responses[2] as { response_txn: TxnResponseBody }).response_txn;
    assert.equal(deep.succeeded, true);
    const inner = (deep.responses[0] as { response_txn: TxnResponseBody }).response_txn;
    assert.deepEqual(keysOf((inner.responses[0] as { response_range: { kvs: { key: Buffer }[] } }).response_range.kvs), ['then']);
    assert.deepEqual(r.events.map((e) => str(e.kv.key)), ['c', 'then']);
  });

  test('RequestOps without the oneof discriminator are understood', () => {
    const s = dataset();
    const r = txn(s, { success: [{ request_put: { key: b('k'), value: b('v') } }, { request_range: { key: b('k') } }] });
    const res = r.response as TxnResponseBody;
    assert.deepEqual(Object.keys(res.responses[0] ?? {}), ['response_put']);
    assert.equal((res.responses[1] as { response_range: { count: number } }).response_range.count, 1);
  });

  test('quirk kept from etcd: a "\\0" delete does not clash with a put; both apply in op order', () => {
    const s = dataset();
    const r = txn(s, { success: [delOp('a', '\0'), putOp('c', 'again')] });
    assert.deepEqual(r.events.map((e) => `${e.type} ${str(e.kv.key)}`), ['DELETE a', 'DELETE c', 'PUT c']);
    assert.deepEqual(get(s, 'c'), { key: b('c'), create_revision: 7, mod_revision: 7, version: 1, value: b('again'), lease: '0' });
    assert.equal(get(s, 'c', { revision: 6 })?.version, 1);
    assert.equal(s.keyCount(), 1);
    // etcd panics on this one; here the put fails the txn cleanly.
    assert.throws(() => txn(s, { success: [delOp('a', '\0'), putOp('c', '', { ignore_value: true })] }), kvError('KeyNotFound'));
    assert.equal(s.revision, 7);
    assert.equal(str(get(s, 'c')?.value), 'again');
  });

  test('the top-level txn response has no header', () => {
    const s = dataset();
    assert.equal('header' in txn(s, { success: [putOp('x')] }).response, false);
  });
});
