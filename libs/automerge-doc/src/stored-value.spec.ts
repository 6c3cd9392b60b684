import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStoredValue, encodeStoredValue } from './stored-value.js';

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
