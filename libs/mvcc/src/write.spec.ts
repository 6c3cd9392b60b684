import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccStore } from './mvcc-store.js';
import { b, ctx, del, get, keysOf, kvError, put, str, txn, putOp } from './spec-helpers.js';
import type { WriteContext } from './types.js';

describe('put', () => {
  test('creates with create = mod = revision, version 1, and one PUT event with every field', () => {
    const s = new MvccStore();
    const r = put(s, 'a', '1');
    const kv = { key: b('a'), create_revision: 2, mod_revision: 2, version: 1, value: b('1'), lease: '0' };
    assert.deepEqual(r, { revision: 2, changed: true, events: [{ type: 'PUT', kv }], response: {} });
  });

  test('prev_kv returns the previous kv, and nothing for a new key', () => {
    const s = new MvccStore();
    assert.deepEqual(put(s, 'a', '1', { prev_kv: true }).response, {});
    const prev = get(s, 'a');
    assert.deepEqual(put(s, 'a', '2', { prev_kv: true }).response, { prev_kv: prev });
  });

  test('lease attach, detach with lease 0, and ignore_lease keeps it', () => {
    const s = new MvccStore();
    put(s, 'a', '1', { lease: '100' });
    assert.equal(get(s, 'a')?.lease, '100');
    put(s, 'a', '2', { lease: 200 });
    assert.equal(get(s, 'a')?.lease, '200');
    put(s, 'a', '3', { ignore_lease: true });
    assert.deepEqual([get(s, 'a')?.lease, str(get(s, 'a')?.value)], ['200', '3']);
    put(s, 'a', '4');
    assert.equal(get(s, 'a')?.lease, '0');
    put(s, 'a', '', { ignore_value: true, lease: 100n });
    assert.deepEqual([get(s, 'a')?.lease, str(get(s, 'a')?.value), get(s, 'a')?.version], ['100', '4', 5]);
  });

  test('lease ids keep all 64 bits', () => {
    const s = new MvccStore();
    const big = '9223372036854775807';
    const leases: WriteContext = { leaseExists: (id) => id === big };
    s.write({ put: { key: b('a'), value: b('v'), lease: big } }, leases);
    assert.equal(get(s, 'a')?.lease, big);
  });

  test('errors change nothing; the Put RPC checks the lease before the key', () => {
    const s = new MvccStore();
    assert.throws(() => put(s, 'a', '', { ignore_lease: true }), kvError('KeyNotFound'));
    assert.throws(() => put(s, 'a', 'v', { lease: '7' }), kvError('LeaseNotFound'));
    assert.throws(() => put(s, 'a', '', { ignore_value: true, lease: '7' }), kvError('LeaseNotFound'));
    assert.throws(() => txn(s, { success: [putOp('a', '', { ignore_value: true, lease: '7' })] }), kvError('KeyNotFound'));
    assert.throws(() => put(s, '', 'v'), kvError('EmptyKey'));
    assert.equal(s.revision, 1);
    assert.equal(s.keyCount(), 0);
  });

  test('stored bytes are copies, never views of the request buffers', () => {
    const s = new MvccStore();
    const message = Buffer.from('xxkeyvaluexx');
    s.write({ put: { key: message.subarray(2, 5), value: new Uint8Array(message.buffer, message.byteOffset + 5, 5) } }, ctx);
    message.fill(0);
    const kv = get(s, 'key');
    assert.deepEqual([str(kv?.key), str(kv?.value)], ['key', 'value']);
  });

  test('an identical value still makes a new revision', () => {
    const s = new MvccStore();
    put(s, 'a', 'v');
    const r = put(s, 'a', 'v');
    assert.equal(r.revision, 3);
    assert.equal(get(s, 'a')?.version, 2);
  });
});

describe('delete_range', () => {
  function abc(): MvccStore {
    const s = new MvccStore();
    for (const k of ['c', 'a', 'b', 'd']) put(s, k, k.toUpperCase(), { lease: k === 'a' ? '100' : '0' });
    return s;
  }

  test('deletes in key order in one revision with tombstone events', () => {
    const s = abc();
    const r = del(s, 'a', 'd', { prev_kv: true });
    assert.equal(r.revision, 6);
    assert.deepEqual(
      r.events,
      ['a', 'b', 'c'].map((k) => ({ type: 'DELETE', kv: { key: b(k), mod_revision: 6 } })),
    );
    const resp = r.response as { deleted: number; prev_kvs: { key: Buffer; lease: string }[] };
    assert.equal(resp.deleted, 3);
    assert.deepEqual(keysOf(resp.prev_kvs), ['a', 'b', 'c']);
    assert.equal(resp.prev_kvs[0]?.lease, '100');
    assert.equal('header' in resp, false);
    assert.deepEqual(keysOf(s.range({ key: b('a'), range_end: b('\0') }).kvs), ['d']);
    assert.deepEqual(keysOf(s.range({ key: b('a'), range_end: b('\0'), revision: 5 }).kvs), ['a', 'b', 'c', 'd']);
  });

  test('prev_kvs only on request; "\\0" deletes every key >= key', () => {
    const s = abc();
    assert.deepEqual(del(s, 'b', '\0').response, { deleted: 3, prev_kvs: [] });
    assert.equal(s.keyCount(), 1);
  });

  test('recreating a deleted key starts over: version 1, new create_revision, no lease', () => {
    const s = abc();
    del(s, 'a');
    put(s, 'a', 'again');
    assert.deepEqual(get(s, 'a'), { key: b('a'), create_revision: 7, mod_revision: 7, version: 1, value: b('again'), lease: '0' });
  });

  test('an empty range or missing keys change nothing', () => {
    const s = abc();
    assert.equal(del(s, 'x').changed, false);
    assert.equal(del(s, 'd', 'a').changed, false);
    assert.equal(del(s, 'a', 'a').changed, false);
    assert.equal(s.revision, 5);
  });
});
