import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from './errors.js';
import type { KvErrorName } from './errors.js';
import { MvccStore } from './mvcc-store.js';
import { b, cmp, ctx, delOp, kvError, putOp, rangeOp, txnOp } from './spec-helpers.js';
import type { RequestOp, TxnRequest } from './types.js';
import { checkDeleteRangeRequest, checkPutRequest, checkTxnRequest, maxTxnOpsDefault } from './validate.js';

const check = (req: TxnRequest) => checkTxnRequest(req, { maxTxnOps: maxTxnOpsDefault });

describe('checkTxnRequest', () => {
  const table: Array<[string, TxnRequest, KvErrorName | undefined]> = [
    ['two puts of one key', { success: [putOp('a'), putOp('a')] }, 'DuplicateKey'],
    ['put and delete of one key', { success: [putOp('a'), delOp('a')] }, 'DuplicateKey'],
    ['put inside a deleted range', { success: [delOp('a', 'c'), putOp('b')] }, 'DuplicateKey'],
    ['put at the (exclusive) end of a deleted range', { success: [delOp('a', 'c'), putOp('c')] }, undefined],
    ['put inside a reversed (empty) delete range', { success: [delOp('c', 'a'), putOp('b')] }, undefined],
    ['quirk: a "\\0" delete range never clashes', { success: [delOp('a', '\0'), putOp('b')] }, undefined],
    ['same key in success and failure', { success: [putOp('a')], failure: [putOp('a')] }, undefined],
    ['overlapping deletes', { success: [delOp('a', 'c'), delOp('b', 'd'), delOp('b')] }, undefined],
    ['range and put of one key', { success: [rangeOp('a'), putOp('a')] }, undefined],
    ['outer put and nested put', { success: [putOp('a'), txnOp({ success: [putOp('a')] })] }, 'DuplicateKey'],
    ['outer put and nested delete', { success: [putOp('a'), txnOp({ failure: [delOp('a')] })] }, 'DuplicateKey'],
    ['outer delete and nested put', { success: [delOp('a'), txnOp({ success: [putOp('a')] })] }, 'DuplicateKey'],
    ['nested then and else put one key', { success: [txnOp({ success: [putOp('a')], failure: [putOp('a')] })] }, undefined],
    ['two nested txns put one key', { success: [txnOp({ success: [putOp('a')] }), txnOp({ failure: [putOp('a')] })] }, 'DuplicateKey'],
    ['nested else repeats an earlier sibling put', { success: [txnOp({ success: [putOp('a')] }), txnOp({ success: [putOp('b')], failure: [putOp('a')] })] }, 'DuplicateKey'],
    ['quirk: a later sibling delete is not checked against earlier sibling puts', { success: [txnOp({ success: [putOp('a')] }), txnOp({ success: [delOp('a')] })] }, undefined],
    ['duplicate deep inside', { failure: [txnOp({ success: [txnOp({ success: [putOp('x'), putOp('x')] })] })] }, 'DuplicateKey'],
    ['empty compare key', { compare: [cmp('', 'MOD', 'EQUAL', 0)] }, 'EmptyKey'],
    ['empty key in a nested op', { failure: [txnOp({ success: [rangeOp('')] })] }, 'EmptyKey'],
    ['op without a request', { success: [{}] }, 'KeyNotFound'],
    ['op with a null request', { success: [{ request: 'request_put', request_put: null }] }, 'KeyNotFound'],
    ['shape errors come before duplicate keys', { success: [putOp('a'), putOp('a'), {}] }, 'KeyNotFound'],
    ['put flags are checked in txns', { success: [putOp('a', 'v', { ignore_value: true })] }, 'ValueProvided'],
    ['empty txn', {}, undefined],
  ];
  for (const [name, req, err] of table) {
    test(name, () => {
      if (err === undefined) check(req);
      else assert.throws(() => check(req), kvError(err));
    });
  }

  test('TooManyOps counts compares and each branch, recursively, before anything else', () => {
    const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
    check({ compare: many(128, (i) => cmp(`k${i}`, 'MOD', 'EQUAL', 0)), success: many(128, (i) => putOp(`k${i}`)), failure: many(128, (i) => putOp(`k${i}`)) });
    assert.throws(() => check({ compare: many(129, (i) => cmp(`k${i}`, 'MOD', 'EQUAL', 0)) }), kvError('TooManyOps'));
    assert.throws(() => check({ failure: many(129, () => rangeOp('')) }), kvError('TooManyOps'));
    assert.throws(() => checkTxnRequest({ success: [putOp('a'), putOp('b')] }, { maxTxnOps: 1 }), kvError('TooManyOps'));
  });

  test('strictSort applies to nested ranges', () => {
    const req = { success: [rangeOp('a', undefined, { sort_order: 5 })] };
    check(req);
    assert.throws(() => checkTxnRequest(req, { maxTxnOps: 128, strictSort: true }), kvError('InvalidSortOption'));
  });
});

describe('checkPutRequest / checkDeleteRangeRequest', () => {
  test('validation order: key, value, lease', () => {
    assert.throws(() => checkPutRequest({ value: b('v'), ignore_value: true }), kvError('EmptyKey'));
    assert.throws(() => checkPutRequest({ key: b('k'), value: b('v'), ignore_value: true, ignore_lease: true, lease: '5' }), kvError('ValueProvided'));
    assert.throws(() => checkPutRequest({ key: b('k'), ignore_lease: true, lease: 5 }), kvError('LeaseProvided'));
    checkPutRequest({ key: b('k'), ignore_value: true, ignore_lease: true, lease: '0' });
    assert.throws(() => checkDeleteRangeRequest({ range_end: b('z') }), kvError('EmptyKey'));
    checkDeleteRangeRequest({ key: b('a') });
  });
});

/** Small deterministic PRNG (mulberry32) so fuzz failures replay. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomOp(rnd: () => number, depth: number): RequestOp {
  const key = ['', 'a', 'b', 'c', '\0', 'b\xff'][Math.floor(rnd() * 6)]!;
  const end = [undefined, 'c', '\0', 'a'][Math.floor(rnd() * 4)];
  switch (Math.floor(rnd() * (depth > 2 ? 5 : 6))) {
    case 0:
      return rangeOp(key, end, { revision: Math.floor(rnd() * 12) - 2, sort_order: Math.floor(rnd() * 4), limit: Math.floor(rnd() * 3) });
    case 1:
      return putOp(key, rnd() < 0.2 ? '' : 'v', { lease: ['0', '100', '7'][Math.floor(rnd() * 3)], ignore_value: rnd() < 0.2, ignore_lease: rnd() < 0.2 });
    case 2:
      return delOp(key, end, { prev_kv: rnd() < 0.5 });
    case 3:
      return rnd() < 0.1 ? {} : putOp(key);
    case 4:
      return rangeOp(key);
    default:
      return txnOp(randomTxn(rnd, depth + 1));
  }
}

function randomTxn(rnd: () => number, depth: number): TxnRequest {
  const ops = (n: number) => Array.from({ length: n }, () => randomOp(rnd, depth));
  const targets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
  const results = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
  return {
    compare: Array.from({ length: Math.floor(rnd() * 3) }, () =>
      cmp(['a', 'b', ''][Math.floor(rnd() * 3)]!, targets[Math.floor(rnd() * 5)]!, results[Math.floor(rnd() * 4)]!, Math.floor(rnd() * 5)),
    ),
    success: ops(Math.floor(rnd() * 4)),
    failure: ops(Math.floor(rnd() * 4)),
  };
}

describe('fuzz', () => {
  test('random txns: validation and writes throw only KvError, and a failed write changes nothing', () => {
    const rnd = prng(20240611);
    const s = new MvccStore();
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const req = randomTxn(rnd, 0);
      const before = { revision: s.revision, all: s.range({ key: b('\0'), range_end: b('\0') }) };
      try {
        check(req);
        accepted++;
        const r = s.write({ txn: req }, ctx);
        assert.equal(r.revision, before.revision + (r.changed ? 1 : 0));
        assert.equal(r.changed, r.events.length > 0);
      } catch (err) {
        if (!(err instanceof KvError)) throw err;
        assert.equal(s.revision, before.revision);
        assert.deepEqual(s.range({ key: b('\0'), range_end: b('\0') }), before.all);
      }
      if (i % 500 === 499) s.compact(s.revision - 3);
    }
    assert.ok(accepted > 300, `only ${accepted} random txns were valid`);
    assert.ok(s.revision > 100);
  });
});

test('a nested txn gets what its parent left of the op budget (etcd checkTxnRequest)', () => {
  const put = (k: string) => ({ request_put: { key: Buffer.from(k), value: Buffer.alloc(0) } });
  const nested = (n: number) => ({ request_txn: { success: Array.from({ length: n }, (_, i) => put(`n${i}`)) } });
  const outer = (outerOps: number, nestedOps: number) => ({
    success: [...Array.from({ length: outerOps - 1 }, (_, i) => put(`o${i}`)), nested(nestedOps)],
  });
  assert.doesNotThrow(() => check(outer(100, 28) as unknown as TxnRequest));
  assert.throws(() => check(outer(100, 29) as unknown as TxnRequest), /too many|TooManyOps/i);
});
