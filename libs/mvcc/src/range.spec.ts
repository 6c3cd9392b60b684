import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixEnd } from './convert.js';
import { MvccStore } from './mvcc-store.js';
import { checkRangeRequest } from './validate.js';
import { b, del, keysOf, kvError, put, str } from './spec-helpers.js';
import type { RangeRequest } from './types.js';

/**
 * rev 2 put k1=c, 3 put k2=a, 4 put k3=b, 5 put k1=d, 6 put k4=e, 7 del k3, 8 put k0=z.
 * At 8: k0{c8 m8 v1 z}, k1{c2 m5 v2 d}, k2{c3 m3 v1 a}, k4{c6 m6 v1 e}.
 */
function dataset(): MvccStore {
  const s = new MvccStore();
  put(s, 'k1', 'c');
  put(s, 'k2', 'a');
  put(s, 'k3', 'b');
  put(s, 'k1', 'd');
  put(s, 'k4', 'e');
  del(s, 'k3');
  put(s, 'k0', 'z');
  return s;
}

interface Case {
  name: string;
  req: RangeRequest;
  keys: string[];
  more?: boolean;
  count?: number;
}

const all = { key: b('k'), range_end: b('l') };

const cases: Case[] = [
  { name: 'single key', req: { key: b('k1') }, keys: ['k1'], count: 1 },
  { name: 'single missing key', req: { key: b('k3') }, keys: [], count: 0 },
  { name: 'range [k1, k4)', req: { key: b('k1'), range_end: b('k4') }, keys: ['k1', 'k2'], count: 2 },
  { name: 'range_end "\\0" = every key >= key', req: { key: b('k1'), range_end: b('\0') }, keys: ['k1', 'k2', 'k4'], count: 3 },
  { name: 'key "\\0" and range_end "\\0" = all keys', req: { key: b('\0'), range_end: b('\0') }, keys: ['k0', 'k1', 'k2', 'k4'] },
  { name: 'prefix end', req: { key: b('k'), range_end: prefixEnd(b('k')) }, keys: ['k0', 'k1', 'k2', 'k4'] },
  { name: 'range_end < key is empty', req: { key: b('k4'), range_end: b('k1') }, keys: [], count: 0 },
  { name: 'range_end == key is empty', req: { key: b('k1'), range_end: b('k1') }, keys: [], count: 0 },
  { name: 'limit sets more, count ignores limit', req: { ...all, limit: '2' }, keys: ['k0', 'k1'], more: true, count: 4 },
  { name: 'limit equal to size: no more', req: { ...all, limit: 4 }, keys: ['k0', 'k1', 'k2', 'k4'], more: false, count: 4 },
  { name: 'negative limit = no limit', req: { ...all, limit: '-1' }, keys: ['k0', 'k1', 'k2', 'k4'], more: false },
  { name: 'pagination key = last + "\\0" shrinks count', req: { key: b('k1\0'), range_end: b('l'), limit: 1 }, keys: ['k2'], more: true, count: 2 },
  { name: 'count_only', req: { ...all, count_only: true, limit: 1 }, keys: [], more: false, count: 4 },
  { name: 'max_mod filter, count ignores filters', req: { ...all, max_mod_revision: '5' }, keys: ['k1', 'k2'], count: 4 },
  { name: 'min_mod filter (inclusive)', req: { ...all, min_mod_revision: '6' }, keys: ['k0', 'k4'] },
  { name: 'max_create filter (inclusive)', req: { ...all, max_create_revision: '3' }, keys: ['k1', 'k2'] },
  { name: 'min_create filter', req: { ...all, min_create_revision: 4 }, keys: ['k0', 'k4'] },
  { name: 'filters then limit: more counts filtered kvs', req: { ...all, min_create_revision: '3', limit: 1 }, keys: ['k0'], more: true, count: 4 },
  { name: 'filters leaving exactly limit: no more', req: { ...all, min_create_revision: '6', limit: 2 }, keys: ['k0', 'k4'], more: false },
  { name: 'sort KEY DESCEND', req: { ...all, sort_order: 'DESCEND' }, keys: ['k4', 'k2', 'k1', 'k0'] },
  { name: 'sort KEY DESCEND with limit', req: { ...all, sort_order: 'DESCEND', limit: 1 }, keys: ['k4'], more: true },
  { name: 'sort KEY ASCEND with limit', req: { ...all, sort_order: 'ASCEND', sort_target: 'KEY', limit: 2 }, keys: ['k0', 'k1'], more: true },
  { name: 'sort MOD ASCEND', req: { ...all, sort_order: 'ASCEND', sort_target: 'MOD' }, keys: ['k2', 'k1', 'k4', 'k0'] },
  { name: 'sort MOD DESCEND', req: { ...all, sort_order: 'DESCEND', sort_target: 'MOD' }, keys: ['k0', 'k4', 'k1', 'k2'] },
  { name: 'sort CREATE ASCEND', req: { ...all, sort_order: 'ASCEND', sort_target: 'CREATE' }, keys: ['k1', 'k2', 'k4', 'k0'] },
  { name: 'sort CREATE DESCEND limit 1 (lock recipe)', req: { ...all, sort_order: 'DESCEND', sort_target: 'CREATE', limit: 1 }, keys: ['k0'], more: true },
  { name: 'sort VALUE ASCEND', req: { ...all, sort_order: 'ASCEND', sort_target: 'VALUE' }, keys: ['k2', 'k1', 'k4', 'k0'] },
  { name: 'sort VALUE DESCEND', req: { ...all, sort_order: 'DESCEND', sort_target: 'VALUE' }, keys: ['k0', 'k4', 'k1', 'k2'] },
  { name: 'sort VERSION DESCEND limit 1', req: { ...all, sort_order: 'DESCEND', sort_target: 'VERSION', limit: 1 }, keys: ['k1'] },
  { name: 'numeric enums', req: { ...all, sort_order: 2, sort_target: 3 }, keys: ['k0', 'k4', 'k1', 'k2'] },
  { name: 'NONE + MOD implies ASCEND', req: { ...all, sort_order: 'NONE', sort_target: 'MOD' }, keys: ['k2', 'k1', 'k4', 'k0'] },
  // Quirk: with NONE only limit+1 keys (k0, k1) are fetched by key and then sorted by MOD.
  { name: 'NONE + MOD + limit sorts only the first limit+1 keys', req: { ...all, sort_target: 'MOD', limit: 1 }, keys: ['k1'], more: true },
  { name: 'ASCEND + MOD + limit sorts everything', req: { ...all, sort_order: 'ASCEND', sort_target: 'MOD', limit: 1 }, keys: ['k2'], more: true },
  { name: 'unknown sort enums (3.4/3.5) read in key order', req: { ...all, sort_order: 7, sort_target: 9 }, keys: ['k0', 'k1', 'k2', 'k4'] },
  { name: 'revision read sees deleted key', req: { ...all, revision: '6' }, keys: ['k1', 'k2', 'k3', 'k4'], count: 4 },
  { name: 'revision read with limit', req: { ...all, revision: 6, limit: 2 }, keys: ['k1', 'k2'], more: true, count: 4 },
  { name: 'revision read before a key existed', req: { ...all, revision: 3 }, keys: ['k1', 'k2'], count: 2 },
  { name: 'revision 1 is empty', req: { ...all, revision: 1 }, keys: [], count: 0 },
  { name: 'revision <= 0 = latest', req: { ...all, revision: '-3' }, keys: ['k0', 'k1', 'k2', 'k4'] },
  { name: 'Uint8Array (not Buffer) key', req: { key: new Uint8Array(b('k2')) }, keys: ['k2'] },
];

describe('range', () => {
  const s = dataset();
  for (const c of cases) {
    test(c.name, () => {
      const r = s.range(c.req);
      assert.deepEqual(keysOf(r.kvs), c.keys);
      if (c.more !== undefined) assert.equal(r.more, c.more);
      if (c.count !== undefined) assert.equal(r.count, c.count);
    });
  }

  test('kv fields at the newest and at an old revision', () => {
    assert.deepEqual(s.range({ key: b('k1') }).kvs[0], { key: b('k1'), create_revision: 2, mod_revision: 5, version: 2, value: b('d'), lease: '0' });
    assert.deepEqual(s.range({ key: b('k1'), revision: 4 }).kvs[0], { key: b('k1'), create_revision: 2, mod_revision: 2, version: 1, value: b('c'), lease: '0' });
  });

  test('keys_only drops the value and keeps the rest; history is untouched', () => {
    const r = s.range({ key: b('k1'), keys_only: true });
    assert.deepEqual(r.kvs[0], { key: b('k1'), create_revision: 2, mod_revision: 5, version: 2, value: Buffer.alloc(0), lease: '0' });
    assert.equal(str(s.range({ key: b('k1') }).kvs[0]?.value), 'd');
  });

  test('FutureRev and EmptyKey', () => {
    assert.throws(() => s.range({ key: b('k1'), revision: 9 }), kvError('FutureRev'));
    assert.throws(() => s.range({ key: b('') }), kvError('EmptyKey'));
    assert.throws(() => s.range({}), kvError('EmptyKey'));
  });

  test('strict sort validation (3.6) rejects unknown enums', () => {
    checkRangeRequest({ key: b('a'), sort_order: 9 });
    assert.throws(() => checkRangeRequest({ key: b('a'), sort_order: 9 }, { strictSort: true }), kvError('InvalidSortOption'));
    assert.throws(() => checkRangeRequest({ key: b('a'), sort_target: 'SIZE' }, { strictSort: true }), kvError('InvalidSortOption'));
    checkRangeRequest({ key: b('a'), sort_order: 'DESCEND', sort_target: 4 }, { strictSort: true });
  });

  test('count at the newest revision matches a scan with many deleted keys', () => {
    const t = new MvccStore();
    for (let i = 0; i < 500; i++) put(t, `c/${String(i).padStart(3, '0')}`, 'v');
    for (let i = 0; i < 500; i += 3) del(t, `c/${String(i).padStart(3, '0')}`);
    const full = t.range({ key: b('c/'), range_end: prefixEnd(b('c/')) });
    assert.equal(full.count, full.kvs.length);
    assert.equal(full.count, 333);
    const part = t.range({ key: b('c/100'), range_end: b('c/200'), limit: 5 });
    assert.equal(part.count, t.range({ key: b('c/100'), range_end: b('c/200') }).kvs.length);
    assert.equal(part.count, 67);
    assert.equal(t.keyCount(), 333);
    // Pinned at the current revision (index count) and one revision back (scan count) agree.
    const pinned = t.range({ key: b('c/'), range_end: prefixEnd(b('c/')), limit: 10, revision: t.revision });
    assert.deepEqual(pinned, t.range({ key: b('c/'), range_end: prefixEnd(b('c/')), limit: 10 }));
    put(t, 'c/x', 'v');
    assert.deepEqual(t.range({ key: b('c/'), range_end: prefixEnd(b('c/')), limit: 10, revision: t.revision - 1 }), pinned);
  });
});

describe('prefixEnd', () => {
  const table: Array<[string, string]> = [
    ['aa', 'ab'],
    ['a\xff', 'b'],
    ['a\xff\xff', 'b'],
    ['\xff\xff', '\0'],
    ['', '\0'],
    ['/registry/pods/', '/registry/pods0'],
  ];
  for (const [key, end] of table) {
    test(JSON.stringify(key), () => assert.equal(str(prefixEnd(b(key))), end));
  }
  test('does not modify its input', () => {
    const key = b('ab');
    prefixEnd(key);
    assert.equal(str(key), 'ab');
  });
});
