import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStoredValue, decodeTaggedStoredValue, encodeStoredValue, encodeTaggedStoredValue } from './stored-value.js';
import { untaggedTag } from './txn-tag.js';

describe('stored value header', () => {
  test('round-trips values with and without a lease', () => {
    for (const lease of ['0', '1', '-1', '7587862072907390000', '9223372036854775807', '-9223372036854775808']) {
      for (const value of [new Uint8Array(), Uint8Array.of(0, 1, 0xff), new Uint8Array(300).fill(9)]) {
        assert.deepEqual(decodeStoredValue(encodeStoredValue(value, lease)), { value, lease });
      }
    }
  });

  test('golden bytes', () => {
    assert.deepEqual(encodeStoredValue(Uint8Array.of(0xaa), '0'), Uint8Array.of(0, 0xaa));
    assert.deepEqual(encodeStoredValue(Uint8Array.of(0xaa), '258'), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa));
  });

  test('rejects malformed stored bytes and leases', () => {
    for (const stored of [new Uint8Array(), Uint8Array.of(2, 0), Uint8Array.of(1, 0, 0), 'x']) {
      assert.throws(() => decodeStoredValue(stored), /^AutomergeDocError: automerge-doc: /);
    }
    for (const lease of ['', '-0', '00', '1.5', ' 1', '0x10', '9223372036854775808', '-9223372036854775809']) {
      assert.throws(() => encodeStoredValue(new Uint8Array(), lease), /automerge-doc: lease/);
    }
  });
});

describe('tagged stored value (format 0x02)', () => {
  const tag = { hlc: (1_700_000_000_000n << 16n) + 3n, member: 0xfedcba9876543210n };

  test('round-trips puts with and without a lease, and tombstones', () => {
    const writes = [
      { value: Uint8Array.of(1, 2, 3), lease: '0', tag, originRevision: 281474976710657n, tombstone: false },
      { value: new Uint8Array(), lease: '-9223372036854775808', tag, originRevision: 9223372036854775807n, tombstone: false },
      { value: new Uint8Array(), lease: '0', tag: { hlc: 2n ** 64n - 1n, member: 0n }, originRevision: -1n, tombstone: true },
    ];
    for (const write of writes) {
      const stored = encodeTaggedStoredValue(write);
      assert.deepEqual(decodeTaggedStoredValue(stored), write);
      assert.deepEqual(decodeStoredValue(stored), { value: write.value, lease: write.lease }, 'the plain decoder reads it too');
    }
  });

  test('golden bytes', () => {
    const stored = encodeTaggedStoredValue({ value: Uint8Array.of(0xaa), lease: '258', tag: { hlc: 1n, member: 2n }, originRevision: 3n, tombstone: false });
    assert.deepEqual(
      stored,
      Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa),
    );
  });

  test('formats 0x00 and 0x01 read as tag (0, 0), origin revision 0, not a tombstone', () => {
    assert.deepEqual(decodeTaggedStoredValue(encodeStoredValue(Uint8Array.of(7), '5')), {
      value: Uint8Array.of(7),
      lease: '5',
      tag: untaggedTag,
      originRevision: 0n,
      tombstone: false,
    });
  });

  test('unknown tags, unknown flags and truncated headers fail loudly', () => {
    const good = encodeTaggedStoredValue({ value: new Uint8Array(), lease: '9', tag, originRevision: 1n, tombstone: false });
    const unknownFlags = encodeTaggedStoredValue({ value: new Uint8Array(), lease: '0', tag, originRevision: 1n, tombstone: false });
    unknownFlags[25] = 0x04;
    const tombstoneWithValue = encodeTaggedStoredValue({ value: Uint8Array.of(1), lease: '0', tag, originRevision: 1n, tombstone: false });
    tombstoneWithValue[25] = 0x01;
    const bad: [Uint8Array, RegExp][] = [
      [Uint8Array.of(3, 0, 0), /unknown header tag 3/],
      [good.subarray(0, 25), /truncated/],
      [good.subarray(0, good.length - 1), /truncated/],
      [unknownFlags, /unknown flags 4/],
      [tombstoneWithValue, /tombstone carries/],
    ];
    for (const [stored, message] of bad) {
      assert.throws(() => decodeTaggedStoredValue(stored), message);
      assert.throws(() => decodeStoredValue(stored), /^AutomergeDocError: automerge-doc: /);
    }
  });

  test('rejects tags, revisions and tombstones out of range', () => {
    const base = { value: new Uint8Array(), lease: '0', tag, originRevision: 1n, tombstone: false };
    for (const write of [
      { ...base, tag: { hlc: -1n, member: 0n } },
      { ...base, tag: { hlc: 0n, member: 2n ** 64n } },
      { ...base, originRevision: 2n ** 63n },
      { ...base, tombstone: true, lease: '5' },
      { ...base, tombstone: true, value: Uint8Array.of(1) },
    ]) {
      assert.throws(() => encodeTaggedStoredValue(write), /^AutomergeDocError: automerge-doc: /);
    }
  });
});
