import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument, loadKvDocument } from './kv-document.js';
import { rebaseChange, rebaseChangeOf } from './rebase.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('rebase', () => {
  test('the same state makes byte-identical rebase changes, whatever the history', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    for (let i = 0; i < 50; i++) a.put(`k${i % 5}`, bytes(`v${i}`), '0'); // much history
    a.put('k0', bytes('v45'), '7');
    a.putLease('7', 30);
    a.commit();
    for (let i = 4; i >= 0; i--) b.put(`k${i}`, bytes(`v${45 + i}`), i === 0 ? '7' : '0'); // little history, other order
    b.putLease('7', 30);
    b.commit();
    const ra = rebaseChange(a);
    const rb = rebaseChange(b);
    assert.equal(ra.hash, rb.hash);
    assert.deepEqual(ra.bytes, rb.bytes);
  });

  test('a document loaded from a rebase holds the state, keeps writing, and is smaller', () => {
    const doc = createKvDocument();
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < 20; k++) doc.put(`key${k}`, bytes(`round ${round}`), '0');
      doc.commit();
    }
    const { bytes: base } = rebaseChange(doc);
    const rebased = loadKvDocument({ base });
    assert.deepEqual(rebased.keys(), doc.keys());
    assert.deepEqual(rebased.get('key3')!.value, bytes('round 199'));
    assert.ok(rebased.save().length * 3 < doc.save().length, `saved ${rebased.save().length} vs ${doc.save().length} bytes`);
    rebased.put('key3', bytes('after'), '0');
    const change = rebased.commit()!;
    const replay = loadKvDocument({ base, changes: [change.bytes] });
    assert.deepEqual(replay.get('key3')!.value, bytes('after'));
    doc.free();
  });

  test('the op count falls to the live state after a rebase; a bare rebase change loads as a save', () => {
    const doc = createKvDocument();
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 10; k++) doc.put(`key${k}`, bytes(`round ${round}`), '0');
      doc.commit();
    }
    doc.putLease('9', 60);
    doc.commit();
    assert.ok(doc.opCount() >= 500, `${doc.opCount()} ops`);
    const base = rebaseChange(doc);
    const rebased = loadKvDocument({ base: base.bytes });
    // two maps, ten keys, one lease
    assert.equal(rebased.opCount(), 13);
    const loaded = loadKvDocument({ saved: base.bytes });
    assert.deepEqual(loaded.heads(), [base.hash]);
    assert.deepEqual(loaded.leases(), [{ id: '9', ttl: 60 }]);
    assert.deepEqual(loaded.get('key9')!.value, bytes('round 49'));
  });

  test('made from the state alone, the rebase is the same change; keys out of byte order are refused', () => {
    const doc = createKvDocument();
    for (const [k, v] of [['b', 'B'], ['a\u00ff', 'X'], ['a', 'A']]) doc.put(k!, bytes(v!), k === 'a' ? '5' : '0');
    doc.putLease('5', 10);
    doc.commit();
    const state = { keys: ['a', 'a\u00ff', 'b'], values: [bytes('A'), bytes('X'), bytes('B')], keyLeases: ['5', '0', '0'], leases: [{ id: '5', ttl: 10 }] };
    assert.equal(rebaseChangeOf(state).hash, rebaseChange(doc).hash);
    assert.throws(() => rebaseChangeOf({ ...state, keys: ['b', 'a', 'c'] }), /byte order/);
  });

  test('a base followed by later changes, concatenated, loads as one saved document', () => {
    const doc = createKvDocument();
    doc.put('k', bytes('1'), '0');
    doc.commit();
    const base = rebaseChange(doc);
    const next = loadKvDocument({ base: base.bytes });
    next.put('k', bytes('2'), '0');
    const change = next.commit()!;
    const loaded = loadKvDocument({ saved: Buffer.concat([base.bytes, change.bytes]) });
    assert.deepEqual(loaded.heads(), next.heads());
    assert.deepEqual(loaded.get('k')!.value, bytes('2'));
  });
});
