import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChange, getBackend, init } from '@automerge/automerge';
import { AutomergeDocError, createKvDocument, loadKvDocument } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

describe('KvDocument writes', () => {
  test('put, get, delete and commit', () => {
    const doc = createKvDocument();
    assert.equal(doc.get('a'), undefined);
    doc.put('a', bytes('one'), '0');
    doc.put('b', bytes('two'), '7587862072907390000');
    assert.deepEqual(doc.get('a'), { value: bytes('one'), lease: '0' });
    assert.deepEqual(doc.get('b'), { value: bytes('two'), lease: '7587862072907390000' });
    assert.ok(doc.commit());
    doc.delete('a');
    assert.equal(doc.get('a'), undefined);
    assert.equal(doc.size(), 1);
    const change = doc.commit();
    assert.ok(change);
    assert.equal(change.seq, 2);
    assert.equal(doc.commit(), undefined, 'nothing new to commit');
  });

  test('one commit is one change covering every put since the last', () => {
    const doc = createKvDocument();
    for (let i = 0; i < 50; i++) doc.put(`k${i}`, bytes(`v${i}`), '0');
    doc.delete('k3');
    const change = doc.commit();
    assert.ok(change);
    const decoded = decodeChange(change.bytes);
    assert.equal(decoded.ops.length, 51);
    assert.equal(decoded.actor, doc.actorId);
    assert.equal(decoded.seq, change.seq);
    assert.equal(decoded.time, 0);
    assert.equal(change.actorId, doc.actorId);
    assert.deepEqual(doc.heads(), [decoded.hash]);
  });

  test('identical bytes again, or deleting an absent key, makes no change', () => {
    const doc = createKvDocument();
    doc.put('k', bytes('v'), '5');
    doc.commit();
    doc.put('k', bytes('v'), '5');
    doc.delete('absent');
    assert.equal(doc.commit(), undefined);
    doc.put('k', bytes('v'), '6');
    assert.ok(doc.commit(), 'a new lease is a new value');
  });

  test('identical writes by one actor give identical change bytes', () => {
    const actorId = 'aa'.repeat(16);
    const [a, b] = [createKvDocument({ actorId }), createKvDocument({ actorId })];
    for (const d of [a, b]) d.put('k', bytes('v'), '0');
    assert.deepEqual(a.commit()!.bytes, b.commit()!.bytes);
  });

  test('save, heads and applyChanges refuse uncommitted writes', () => {
    const doc = createKvDocument();
    doc.put('k', bytes('v'), '0');
    for (const call of [() => doc.save(), () => doc.heads(), () => doc.applyChanges([])]) {
      assert.throws(call, (err: Error) => err instanceof AutomergeDocError && /commit\(\) first/.test(err.message));
    }
    doc.commit();
    doc.save();
  });

  test('bad input is rejected with AutomergeDocError', () => {
    const doc = createKvDocument();
    const bad: Array<() => void> = [
      () => doc.put('\u0100', bytes('v'), '0'),
      () => doc.get('snow\u2603'),
      () => doc.put('k', bytes('v'), '01'),
      () => doc.put('k', bytes('v'), '9223372036854775808'),
      () => doc.put('k', 'v' as unknown as Uint8Array, '0'),
      () => createKvDocument({ actorId: '00'.repeat(16) }),
      () => createKvDocument({ actorId: 'XYZ' }),
    ];
    for (const call of bad) {
      assert.throws(call, (err: Error) => err.name === 'AutomergeDocError' && err.message.startsWith('automerge-doc: '));
    }
    doc.put('k', bytes('v'), '-9223372036854775808');
    assert.equal(doc.get('k')!.lease, '-9223372036854775808');
  });
});

describe('KvDocument replication', () => {
  test('a change applied to a second document gives the same state', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    assert.notEqual(a.actorId, b.actorId);
    a.put('x', bytes('1'), '0');
    a.put('y', bytes('2'), '42');
    b.applyChanges([a.commit()!.bytes]);
    assert.deepEqual(snapshot(b), snapshot(a));
    assert.equal(b.size(), 2);
  });

  test('load from save plus later changes equals the original', () => {
    const a = createKvDocument();
    for (let i = 0; i < 20; i++) a.put(`k${i}`, bytes(`v${i}`), String(i));
    const all = [a.commit()!.bytes];
    const saved = a.save();
    const later: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      a.put(`k${i}`, bytes(`new${i}`), '0');
      a.delete(`k${i + 10}`);
      later.push(a.commit()!.bytes);
    }
    const loaded = loadKvDocument({ saved, changes: later });
    assert.deepEqual(snapshot(loaded), snapshot(a));
    assert.notEqual(loaded.actorId, a.actorId, 'a fresh actor by default');
    const fromBase = loadKvDocument({ changes: [...all, ...later] });
    assert.deepEqual(snapshot(fromBase), snapshot(a));
  });

  test('a writer reloaded with its own actor goes on with the next seq', () => {
    const actorId = 'ab'.repeat(16);
    const a = createKvDocument({ actorId });
    a.put('k', bytes('1'), '0');
    a.commit();
    a.put('k', bytes('2'), '0');
    assert.equal(a.commit()!.seq, 2);
    const again = loadKvDocument({ saved: a.save(), actorId });
    again.put('k', bytes('3'), '0');
    const change = again.commit()!;
    assert.equal(change.seq, 3);
    assert.equal(decodeChange(change.bytes).seq, 3);
    again.put('k', bytes('4'), '0');
    assert.equal(again.commit()!.seq, 4);
  });

  test('missing dependencies are detected, and resolved once they arrive', () => {
    const a = createKvDocument();
    a.put('k', bytes('1'), '0');
    const first = a.commit()!.bytes;
    a.put('k', bytes('2'), '0');
    const second = a.commit()!.bytes;
    const b = createKvDocument();
    assert.throws(() => b.applyChanges([second]), /automerge-doc: 1 dependencies missing/);
    assert.throws(() => loadKvDocument({ changes: [second] }), AutomergeDocError);
    b.applyChanges([first]);
    assert.deepEqual(snapshot(b), snapshot(a));
  });

  test('garbage is rejected', () => {
    const doc = createKvDocument();
    assert.throws(() => doc.applyChanges([new Uint8Array([1, 2, 3])]), /automerge-doc: cannot apply changes/);
    assert.throws(() => loadKvDocument({ saved: new Uint8Array([1, 2, 3]) }), /automerge-doc: cannot load saved/);
    const foreign = getBackend(init());
    foreign.putObject('_root', 'kv', {});
    foreign.commit();
    assert.throws(() => loadKvDocument({ saved: foreign.save() }), /not an eckd document/);
  });
});

describe('KvDocument lease records', () => {
  test('an int TTL (single node, older documents) has no owner; with peers the owner is stored with the TTL', () => {
    const doc = createKvDocument();
    doc.putLease('7', 10);
    doc.putLease('8', 5, '00000000000000ab');
    doc.commit();
    const again = loadKvDocument({ saved: doc.save() });
    assert.deepEqual(again.leases().sort((a, b) => a.id.localeCompare(b.id)), [
      { id: '7', ttl: 10 },
      { id: '8', ttl: 5, owner: '00000000000000ab' },
    ]);
    assert.deepEqual(again.lease('8'), { id: '8', ttl: 5, owner: '00000000000000ab' });
    assert.equal(again.lease('9'), undefined);
    assert.throws(() => doc.putLease('9', 5, 'AB'), AutomergeDocError);
  });
});
