import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument, keyFromBytes, keyToBytes, loadKvDocument } from './index.js';

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('Latin-1 keys', () => {
  test('bytes 0x00-0xff round-trip through a key string', () => {
    const key = keyFromBytes(allBytes);
    assert.equal(key.length, 256);
    assert.deepEqual(keyToBytes(key), allBytes);
  });

  test('keys of every byte survive save/load and list in byte order', () => {
    const doc = createKvDocument();
    const keys = [...allBytes].reverse().map((b) => keyFromBytes(Uint8Array.of(b, 0xff - b)));
    keys.push(keyFromBytes(allBytes), keyFromBytes(new Uint8Array()), keyFromBytes(Uint8Array.of(0x00)));
    for (const k of keys) doc.put(k, keyToBytes(k), '0');
    doc.commit();
    const loaded = loadKvDocument({ saved: doc.save() });
    const listed = loaded.keys().map((k) => Buffer.from(keyToBytes(k)));
    const expected = keys.map((k) => Buffer.from(keyToBytes(k))).sort(Buffer.compare);
    assert.deepEqual(listed, expected);
    for (const k of keys) assert.deepEqual(loaded.get(k)!.value, keyToBytes(k));
  });
});
