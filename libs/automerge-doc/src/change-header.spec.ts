import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChange } from '@automerge/automerge';
import { changeHeaderOf } from './change-header.js';
import { createKvDocument } from './index.js';
import { bytes } from './test-helpers.js';

describe('change header', () => {
  test('hash, dependencies and message equal what decodeChange says', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    for (let i = 0; i < 300; i++) a.put(`k${i}`, bytes('v'.repeat(i)), String(i));
    a.commit({ member: 2n ** 64n - 1n, revision: 2n ** 63n - 1n });
    b.put('x', bytes('y'), '0');
    b.commit();
    a.applyChanges(b.changesSince(b.heads()).concat(b.changesSince([]).slice(1)));
    a.delete('k1');
    a.commit();
    const changes = a.changesSince([]);
    assert.equal(changes.length, 4);
    for (const change of changes) {
      const { hash, deps, message } = decodeChange(change);
      assert.deepEqual(changeHeaderOf(change), { hash, deps: [...deps], message: message ?? null });
    }
  });

  test('bytes that are not a plain change chunk go to decodeChange, which refuses garbage', () => {
    const change = createKvDocument().changesSince([])[0]!;
    const badChecksum = Uint8Array.from(change);
    badChecksum[4] = badChecksum[4]! ^ 0xff;
    for (const bad of [Uint8Array.of(1, 2, 3), badChecksum, change.subarray(0, change.length - 1)]) {
      assert.throws(() => changeHeaderOf(bad));
    }
  });
});
