import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseChangeHash, buildCutBase, createKvDocument, decodeCutMessage, encodeCutMessage, loadKvDocument } from './index.js';
import { bytes } from './test-helpers.js';

const first = { cut: 1, previousLineage: baseChangeHash };
const tag = (hlc: bigint, member = 1n) => ({ hlc, member });
const member = { name: 'node1', band: 0, clientUrls: ['http://127.0.0.1:2379'], peerUrls: [], learner: false, removed: false };

describe('cut base', () => {
  test('the same state at H gives byte-identical bases, whatever the history, the actors or what came after H', () => {
    // A: much history, a conflict at H, and writes after H.
    const a = createKvDocument({ actorId: 'aa'.repeat(16) });
    for (let i = 0; i < 30; i++) a.putTagged(`k${i % 3}`, bytes(`old ${i}`), '0', tag(BigInt(i + 1)), BigInt(i + 1));
    a.putTagged('k0', bytes('v0'), '7', tag(100n), 40n);
    a.deleteTagged('gone', tag(101n), 41n);
    a.putLease('7', 30, '00000000000000aa');
    a.putMember('00000000000000aa', member);
    a.setAuthRecord('auth:enabled', 'false');
    a.commit({ member: 1n, revision: 41n });
    const concurrent = createKvDocument({ actorId: 'cc'.repeat(16) });
    concurrent.putTagged('k1', bytes('loser'), '0', tag(50n, 3n), 1n);
    a.applyPeerChanges([concurrent.commit()!.bytes]);
    a.putTagged('k1', bytes('v1'), '0', tag(102n), 42n); // overwrites its own k1, not the concurrent one
    a.putTagged('k2', bytes('v2'), '0', tag(103n), 43n);
    a.commit({ member: 1n, revision: 43n });
    const cutHeads = a.heads();
    a.putTagged('k0', bytes('after H'), '0', tag(200n), 44n);
    a.commit({ member: 1n, revision: 44n });

    // B: another actor writes the visible values only, in another order.
    const b = createKvDocument({ actorId: 'bb'.repeat(16) });
    b.setAuthRecord('auth:enabled', 'false');
    b.putMember('00000000000000aa', member);
    b.putLease('7', 30, '00000000000000aa');
    b.putTagged('k2', bytes('v2'), '0', tag(103n), 43n);
    b.putTagged('k1', bytes('v1'), '0', tag(102n), 42n);
    b.deleteTagged('gone', tag(101n), 41n);
    b.putTagged('k0', bytes('v0'), '7', tag(100n), 40n);
    b.commit();

    const fromA = buildCutBase(a.cutStateAt(cutHeads), first, 0n);
    const fromB = buildCutBase(b.cutStateAt(b.heads()), first, 0n);
    assert.equal(fromA.lineage, fromB.lineage);
    assert.deepEqual(fromA.bytes, fromB.bytes);
  });

  test('a loaded base shows the state at H with its tags, keeps tombstones from the floor up, and names its cut', () => {
    const doc = createKvDocument({ actorId: 'aa'.repeat(16) });
    doc.putTagged('kept', bytes('v'), '5', tag(10n), 1n);
    doc.deleteTagged('old delete', tag(10n), 1n);
    doc.deleteTagged('new delete', tag(20n), 2n);
    doc.putLease('5', 60, '00000000000000aa');
    doc.putMember('00000000000000aa', member);
    doc.commit();
    const base = buildCutBase(doc.cutStateAt(doc.heads()), first, 15n);
    const loaded = loadKvDocument({ base: base.bytes });
    assert.deepEqual(loaded.heads(), [base.lineage]);
    assert.deepEqual(loaded.keys(), ['kept']);
    assert.deepEqual(loaded.visibleValues('kept').map((v) => [v.tag, v.originRevision, v.lease]), [[tag(10n), 1n, '5']]);
    assert.deepEqual(loaded.visibleValues('old delete'), []);
    assert.equal(loaded.visibleValues('new delete')[0]!.tombstone, true);
    assert.deepEqual(loaded.leases(), [{ id: '5', ttl: 60, owner: '00000000000000aa' }]);
    assert.deepEqual(loaded.members(), [{ id: '00000000000000aa', record: member }]);
    // A tagged write after the cut meets the base's values by the tag rule.
    loaded.putTagged('kept', bytes('w'), '0', tag(30n), 3n);
    assert.deepEqual(loaded.get('kept')!.value, bytes('w'));
  });

  test('the lineage id names the cut: the same state cut again is another lineage', () => {
    const doc = createKvDocument();
    doc.putTagged('k', bytes('v'), '0', tag(1n), 1n);
    doc.commit();
    const state = doc.cutStateAt(doc.heads());
    const one = buildCutBase(state, first, 0n);
    const two = buildCutBase(state, { cut: 2, previousLineage: one.lineage }, 0n);
    assert.notEqual(one.lineage, two.lineage);
    assert.deepEqual(decodeCutMessage(encodeCutMessage({ cut: 2, previousLineage: one.lineage })), { cut: 2, previousLineage: one.lineage });
    assert.equal(decodeCutMessage('{"m":"0000000000000001","r":"1"}'), undefined);
    assert.throws(() => encodeCutMessage({ cut: 0, previousLineage: baseChangeHash }), /positive integer/);
    assert.throws(() => buildCutBase({ ...state, kv: [...state.kv, ...state.kv] }, first, 0n), /byte order/);
    assert.throws(() => doc.cutStateAt(['ab'.repeat(32)]), /lacks/);
  });
});
