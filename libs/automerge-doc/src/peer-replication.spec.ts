import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChange } from '@automerge/automerge';
import {
  AutomergeDocError,
  createKvDocument,
  createPeerSync,
  decodeChangeOrigin,
  encodedPeerSyncOfHeads,
  encodeChangeOrigin,
  encodePeerSync,
  loadKvDocument,
  rebaseChange,
  resetPeerSync,
} from './index.js';
import type { KvDocument, PeerSync, TxnTag } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

const tag = (hlc: number, member: number): TxnTag => ({ hlc: BigInt(hlc), member: BigInt(member) });
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : new TextDecoder().decode(v));

/** Runs sync rounds between a and b until neither has anything to say; returns the messages exchanged. */
function syncUntilQuiet(a: KvDocument, aSync: PeerSync, b: KvDocument, bSync: PeerSync): number {
  let messages = 0;
  for (let round = 0; round < 50; round++) {
    const toB = a.generateSyncMessage(aSync);
    if (toB) b.receiveSyncMessage(bSync, toB);
    const toA = b.generateSyncMessage(bSync);
    if (toA) a.receiveSyncMessage(aSync, toA);
    if (!toB && !toA) return messages;
    messages += (toB ? 1 : 0) + (toA ? 1 : 0);
  }
  throw new Error('sync did not go quiet in 50 rounds');
}

describe('tagged writes', () => {
  test('a tombstone hides the key from get, size and keys; a later put brings it back', () => {
    const doc = createKvDocument();
    doc.putTagged('a', bytes('1'), '0', tag(10, 1), 1n);
    doc.putTagged('b', bytes('2'), '7', tag(10, 1), 1n);
    doc.commit();
    assert.deepEqual(doc.get('b'), { value: bytes('2'), lease: '7' });
    doc.deleteTagged('a', tag(11, 1), 2n);
    doc.commit();
    assert.equal(doc.get('a'), undefined);
    assert.equal(doc.size(), 1);
    assert.deepEqual(doc.keys(), ['b']);
    doc.putTagged('a', bytes('3'), '0', tag(12, 1), 3n);
    assert.equal(text(doc.get('a')?.value), '3');
    assert.equal(doc.size(), 2);
    assert.deepEqual(doc.keys(), ['a', 'b']);
  });

  test('a loaded document finds its tombstones again', () => {
    const doc = createKvDocument();
    doc.putTagged('a', bytes('1'), '0', tag(10, 1), 1n);
    doc.putTagged('b', bytes('1'), '0', tag(10, 1), 1n);
    doc.commit();
    const beforeDelete = doc.heads();
    doc.deleteTagged('a', tag(11, 1), 2n);
    doc.commit();
    const loaded = loadKvDocument({ saved: doc.save() });
    assert.deepEqual(loaded.keys(), ['b']);
    assert.equal(loaded.size(), 1);
    doc.deleteTagged('b', tag(12, 1), 3n);
    assert.equal(decodeChange(doc.commit()!.bytes).ops.length, 1, 'the tagged mark is written once');
    assert.deepEqual(doc.keys(), []);
    const replayed = createKvDocument();
    const afterDelete = doc.changesSince(beforeDelete);
    replayed.applyChanges(doc.changesSince(replayed.heads()).filter((c) => !afterDelete.some((d) => Buffer.compare(c, d) === 0)));
    assert.equal(replayed.size(), 2);
    replayed.applyChanges(afterDelete);
    assert.equal(replayed.size(), 0, 'applyChanges recounts');
  });

  test('commit carries the origin in the change message, time stays 0', () => {
    const doc = createKvDocument();
    doc.putTagged('k', bytes('v'), '0', tag(1, 255), 7n);
    const origin = { member: 255n, revision: (3n << 48n) + 9n };
    const change = decodeChange(doc.commit(origin)!.bytes);
    assert.equal(change.message, '{"m":"00000000000000ff","r":"844424930131977"}');
    assert.equal(change.time, 0);
    assert.deepEqual(decodeChangeOrigin(change.message), origin);
    assert.equal(encodeChangeOrigin(origin), change.message);
    assert.equal(decodeChangeOrigin(null), undefined);
    assert.equal(decodeChangeOrigin('eckd kv base v2'), undefined);
    for (const bad of ['{"m":"ff","r":"1"}', '{"m":"00000000000000ff","r":1}', '{"m":"00000000000000ff","r":"-1"}', '{']) {
      assert.throws(() => decodeChangeOrigin(bad), AutomergeDocError);
    }
  });
});

describe('applying peer changes', () => {
  test('applies new changes, skips known ones, reports origins and touched keys', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    a.putTagged('x', bytes('1'), '0', tag(1, 1), 1n);
    a.putTagged('y', bytes('2'), '0', tag(1, 1), 1n);
    const first = a.commit({ member: 1n, revision: 1n })!;
    a.deleteTagged('x', tag(2, 1), 2n);
    const second = a.commit({ member: 1n, revision: 2n })!;
    const result = b.applyPeerChanges([first.bytes, second.bytes]);
    assert.equal(result.missingDeps, false);
    assert.deepEqual(
      result.applied.map((c) => c.origin),
      [
        { member: 1n, revision: 1n },
        { member: 1n, revision: 2n },
      ],
    );
    assert.deepEqual(result.applied[1]!.bytes, second.bytes);
    assert.ok(b.hasChange(result.applied[0]!.hash));
    assert.deepEqual(result.touchedKeys, ['x', 'y']);
    assert.deepEqual(snapshot(b), snapshot(a));
    assert.equal(b.size(), 1);
    assert.deepEqual(b.applyPeerChanges([second.bytes, first.bytes]), { applied: [], touchedKeys: [], missingDeps: false });
  });

  test('a change whose dependencies are missing is not applied and leaves nothing queued', () => {
    const a = createKvDocument();
    a.putTagged('k', bytes('1'), '0', tag(1, 1), 1n);
    const first = a.commit()!.bytes;
    a.putTagged('k', bytes('2'), '0', tag(2, 1), 2n);
    const second = a.commit()!.bytes;
    a.putTagged('j', bytes('3'), '0', tag(3, 1), 3n);
    const third = a.commit()!.bytes;
    const b = createKvDocument();
    const heads = b.heads();
    const gap = b.applyPeerChanges([third, second]);
    assert.deepEqual(gap, { applied: [], touchedKeys: [], missingDeps: true });
    assert.deepEqual(b.heads(), heads, 'the document is unchanged');
    assert.equal(b.get('k'), undefined);
    // Nothing was left in Automerge's queue: applying the first alone does not pull in the others.
    const filled = b.applyPeerChanges([first]);
    assert.equal(filled.applied.length, 1);
    assert.equal(text(b.get('k')?.value), '1');
    // A batch in any order whose ancestry is complete is applied whole.
    const rest = b.applyPeerChanges([third, second]);
    assert.equal(rest.applied.length, 2);
    assert.deepEqual(snapshot(b), snapshot(a));
  });

  test('garbage and uncommitted writes are refused', () => {
    const doc = createKvDocument();
    assert.throws(() => doc.applyPeerChanges([Uint8Array.of(1, 2, 3)]), /automerge-doc: cannot decode a peer change/);
    assert.throws(() => doc.hasChange('xyz'), /not a change hash/);
    doc.put('k', bytes('v'), '0');
    assert.throws(() => doc.applyPeerChanges([]), /commit\(\) first/);
  });

  test('changesSince and hasChange', () => {
    const doc = createKvDocument();
    const start = doc.heads();
    doc.putTagged('k', bytes('1'), '0', tag(1, 1), 1n);
    const c1 = doc.commit()!.bytes;
    doc.putTagged('k', bytes('2'), '0', tag(2, 1), 2n);
    const c2 = doc.commit()!.bytes;
    assert.deepEqual(doc.changesSince(start), [c1, c2]);
    assert.equal(doc.changesSince(doc.heads()).length, 0);
    assert.equal(doc.changesSince([]).length, 3, 'the base too');
    assert.ok(doc.hasChange(decodeChange(c2).hash));
    assert.ok(!doc.hasChange('ab'.repeat(32)));
  });
});

describe('concurrent writes resolve by tag', () => {
  function concurrent(writeA: (d: KvDocument) => void, writeB: (d: KvDocument) => void): [KvDocument, KvDocument] {
    const a = createKvDocument();
    const b = createKvDocument();
    a.putTagged('k', bytes('old'), '0', tag(1, 1), 1n);
    b.applyPeerChanges([a.commit()!.bytes]);
    writeA(a);
    writeB(b);
    const fromA = a.commit()!.bytes;
    const fromB = b.commit()!.bytes;
    const atA = a.applyPeerChanges([fromB]);
    const atB = b.applyPeerChanges([fromA]);
    assert.deepEqual(atA.touchedKeys, ['k']);
    assert.deepEqual(atB.touchedKeys, ['k']);
    assert.deepEqual(snapshot(a).entries, snapshot(b).entries);
    return [a, b];
  }

  test('put/put: the higher tag wins on both sides, whichever Automerge would pick', () => {
    for (const [hlcA, hlcB, winner] of [[5, 6, 'b'], [6, 5, 'a']] as const) {
      const [a, b] = concurrent(
        (d) => d.putTagged('k', bytes('a'), '0', tag(hlcA, 1), 2n),
        (d) => d.putTagged('k', bytes('b'), '0', tag(hlcB, 2), 2n),
      );
      assert.equal(text(a.get('k')?.value), winner);
      const [conflict] = b.conflictsOf('k');
      assert.equal(conflict!.kind, 'put/put');
      assert.equal(text(conflict!.winner.value), winner);
      assert.equal(text(conflict!.loser.value), winner === 'a' ? 'b' : 'a');
      assert.deepEqual(a.conflictsOf('k'), b.conflictsOf('k'));
    }
  });

  test('equal hlc: the member id decides', () => {
    const [a] = concurrent(
      (d) => d.putTagged('k', bytes('a'), '0', tag(5, 9), 2n),
      (d) => d.putTagged('k', bytes('b'), '0', tag(5, 2), 2n),
    );
    assert.equal(text(a.get('k')?.value), 'a');
  });

  test('a put concurrent with a delete resolves by tag both ways', () => {
    const [deleteWins] = concurrent(
      (d) => d.putTagged('k', bytes('put'), '0', tag(5, 1), 2n),
      (d) => d.deleteTagged('k', tag(6, 2), 2n),
    );
    assert.equal(deleteWins.get('k'), undefined);
    assert.equal(deleteWins.size(), 0);
    assert.deepEqual(deleteWins.keys(), []);
    assert.deepEqual(
      deleteWins.conflictsOf('k').map((c) => [c.kind, c.winner.tag.member, c.loser.tag.member, c.loser.originRevision]),
      [['delete/put', 2n, 1n, 2n]],
    );
    const [putWins] = concurrent(
      (d) => d.putTagged('k', bytes('put'), '0', tag(7, 1), 2n),
      (d) => d.deleteTagged('k', tag(6, 2), 2n),
    );
    assert.equal(text(putWins.get('k')?.value), 'put');
    assert.deepEqual(putWins.conflictsOf('k').map((c) => c.kind), ['put/delete']);
    const values = putWins.visibleValues('k');
    assert.equal(values.length, 2);
    assert.deepEqual(values.filter((v) => v.visible).map((v) => text(v.value)), ['put']);
  });

  test('a value arriving beside an existing conflict is a touched key even where Automerge keeps its winner', () => {
    // Actor order makes dd Automerge's winner throughout; the tags say otherwise.
    const base = createKvDocument({ actorId: '01'.repeat(16) });
    base.putTagged('k', bytes('old'), '0', tag(1, 1), 1n);
    const start = base.commit()!.bytes;
    const [aa, bb, cc, dd] = ['aa', 'bb', 'cc', 'dd'].map((a) => createKvDocument({ actorId: a.repeat(16) }));
    const changes = [aa!, bb!, cc!].map((d, i) => {
      d.applyPeerChanges([start]);
      d.putTagged('k', bytes(`v${i}`), '0', tag(10 + i, 2 + i), 2n);
      return d.commit()!.bytes;
    });
    dd!.applyPeerChanges([start]);
    dd!.putTagged('k', bytes('dd'), '0', tag(5, 9), 2n);
    dd!.commit();
    for (const [i, change] of changes.entries()) {
      const result = dd!.applyPeerChanges([change]);
      assert.deepEqual(result.touchedKeys, ['k'], `value ${i}`);
      assert.equal(text(dd!.get('k')?.value), `v${i}`);
    }
    assert.equal(dd!.conflictsOf('k').length, 3);
  });

  test('two concurrent deletes are no conflict', () => {
    const [a] = concurrent(
      (d) => d.deleteTagged('k', tag(5, 1), 2n),
      (d) => d.deleteTagged('k', tag(6, 2), 2n),
    );
    assert.equal(a.get('k'), undefined);
    assert.deepEqual(a.conflictsOf('k'), []);
    assert.equal(a.visibleValues('k').length, 2);
  });

  test('a write that saw the conflict replaces every value', () => {
    const [a] = concurrent(
      (d) => d.putTagged('k', bytes('a'), '0', tag(5, 1), 2n),
      (d) => d.putTagged('k', bytes('b'), '0', tag(6, 2), 2n),
    );
    a.putTagged('k', bytes('after'), '0', tag(7, 1), 3n);
    a.commit();
    assert.equal(a.visibleValues('k').length, 1);
    assert.deepEqual(a.conflictsOf('k'), []);
  });
});

describe('sync', () => {
  test('two documents converge through sync messages only; a persisted state resumes from shared heads', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    for (let i = 0; i < 20; i++) {
      a.putTagged(`a${i}`, bytes(`${i}`), '0', tag(i + 1, 1), BigInt(i + 1));
      a.commit();
      b.putTagged(`b${i}`, bytes(`${i}`), '0', tag(i + 1, 2), BigInt(i + 1));
      if (i % 3 === 0) b.deleteTagged(`b${i}`, tag(i + 1, 2), BigInt(i + 1));
      b.commit();
    }
    const [aSync, bSync] = [createPeerSync(), createPeerSync()];
    syncUntilQuiet(a, aSync, b, bSync);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.equal(a.size(), 33);
    // A restart: the states come back from their persisted part.
    const [aAgain, bAgain] = [createPeerSync(encodePeerSync(aSync)), createPeerSync(encodePeerSync(bSync))];
    a.putTagged('later', bytes('x'), '0', tag(100, 1), 100n);
    a.commit();
    const toB = a.generateSyncMessage(aAgain)!;
    assert.ok(toB);
    const got = b.receiveSyncMessage(bAgain, toB);
    syncUntilQuiet(a, aAgain, b, bAgain);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.ok(got.applied.length + b.changesSince([]).length > 0);
    assert.throws(() => createPeerSync(Uint8Array.of(9, 9, 9)), /automerge-doc: cannot decode a peer sync state/);
  });

  test('a member loaded from a peer\'s saved document starts its sync state from the saved heads: the round sends only what came after', () => {
    const a = createKvDocument();
    for (let i = 0; i < 50; i++) {
      a.putTagged(`k${i}`, bytes(`${i}`), '0', tag(i + 1, 1), BigInt(i + 1));
      a.commit({ member: 1n, revision: BigInt(i + 1) });
    }
    const heads = a.heads();
    const joiner = loadKvDocument({ saved: a.save() });
    assert.deepEqual(joiner.originsHeld(), new Map([['0000000000000001', 50n]]));
    // What Automerge itself stores after a full sync is the same bytes.
    const [full, fullOther] = [createPeerSync(), createPeerSync()];
    syncUntilQuiet(loadKvDocument({ saved: a.save() }), full, a, fullOther);
    assert.deepEqual(Buffer.from(encodedPeerSyncOfHeads(heads)), Buffer.from(encodePeerSync(full)));
    a.putTagged('after', bytes('x'), '0', tag(100, 1), 100n);
    a.commit({ member: 1n, revision: 100n });
    const [joinerSync, aSync] = [createPeerSync(encodedPeerSyncOfHeads(heads)), createPeerSync()];
    const applied: number[] = [];
    for (let round = 0; round < 10; round++) {
      const toA = joiner.generateSyncMessage(joinerSync);
      if (toA) a.receiveSyncMessage(aSync, toA);
      const toJoiner = a.generateSyncMessage(aSync);
      if (toJoiner) applied.push(joiner.receiveSyncMessage(joinerSync, toJoiner).applied.length);
      if (!toA && !toJoiner) break;
    }
    assert.deepEqual(snapshot(joiner), snapshot(a));
    assert.deepEqual(applied.filter((n) => n > 0), [1]);
    assert.throws(() => encodedPeerSyncOfHeads(['nope']), /not change hashes/);
  });

  test('a received sync message reports the applied changes with their origins and touched keys', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    a.putTagged('k1', bytes('1'), '0', tag(1, 1), 1n);
    a.putTagged('k2', bytes('1'), '0', tag(1, 1), 1n);
    a.commit({ member: 1n, revision: 1n });
    a.deleteTagged('k2', tag(2, 1), 2n);
    a.commit({ member: 1n, revision: 2n });
    const [aSync, bSync] = [createPeerSync(), createPeerSync()];
    const applied: bigint[] = [];
    const touched = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const toB = a.generateSyncMessage(aSync);
      if (toB) {
        const r = b.receiveSyncMessage(bSync, toB);
        r.applied.forEach((c) => applied.push(c.origin!.revision));
        r.touchedKeys.forEach((k) => touched.add(k));
        // r.missingDeps may be true for a round (in about 0.5% of runs): the sync message's Bloom filter can
        // match a change the receiver lacks, so the sender leaves it out; a later round brings it.
      }
      const toA = b.generateSyncMessage(bSync);
      if (toA) assert.deepEqual(a.receiveSyncMessage(aSync, toA).applied, []);
      if (!toA && !toB) break;
    }
    assert.deepEqual(applied, [1n, 2n]);
    assert.deepEqual([...touched].sort(), ['k1', 'k2']);
    assert.deepEqual(b.keys(), ['k1']);
    assert.deepEqual(b.heads(), a.heads(), 'nothing left missing');
  });

  test('a dropped message stalls the round until the state is reset', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    const [aSync, bSync] = [createPeerSync(), createPeerSync()];
    a.putTagged('first', bytes('1'), '0', tag(1, 1), 1n);
    a.commit();
    syncUntilQuiet(a, aSync, b, bSync);
    for (let i = 0; i < 5; i++) {
      a.putTagged(`k${i}`, bytes(`${i}`), '0', tag(i + 2, 1), BigInt(i + 2));
      a.commit();
    }
    b.deleteTagged('first', tag(3, 2), 1n);
    b.commit();
    // Rounds in which a's first message (it carries a's new changes: the shared heads are known) is lost.
    let dropped = false;
    for (let round = 0; round < 10; round++) {
      const toB = a.generateSyncMessage(aSync);
      if (toB && !dropped) dropped = true;
      else if (toB) b.receiveSyncMessage(bSync, toB);
      const toA = b.generateSyncMessage(bSync);
      if (toA) a.receiveSyncMessage(aSync, toA);
      if (!toA && !toB) break;
    }
    assert.ok(dropped);
    assert.notDeepEqual(snapshot(a), snapshot(b), 'the lost changes are not re-sent without a reset');
    resetPeerSync(aSync);
    resetPeerSync(bSync);
    syncUntilQuiet(a, aSync, b, bSync);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.equal(a.get('first'), undefined);
    assert.equal(a.size(), 5);
  });

  test('A and C that only talk to B converge', () => {
    const [a, b, c] = [createKvDocument(), createKvDocument(), createKvDocument()];
    const syncs = { ab: createPeerSync(), ba: createPeerSync(), bc: createPeerSync(), cb: createPeerSync() };
    for (let i = 0; i < 10; i++) {
      a.putTagged(`k${i}`, bytes(`a${i}`), '0', tag(10 + i, 1), BigInt(i + 1));
      a.commit();
      c.putTagged(`k${i}`, bytes(`c${i}`), '0', tag(10 + 2 * i, 3), BigInt(i + 1));
      c.commit();
    }
    b.putTagged('b', bytes('b'), '0', tag(1, 2), 1n);
    b.commit();
    for (let pass = 0; pass < 3; pass++) {
      syncUntilQuiet(a, syncs.ab, b, syncs.ba);
      syncUntilQuiet(c, syncs.cb, b, syncs.bc);
    }
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.deepEqual(snapshot(c), snapshot(b));
    assert.equal(text(a.get('k0')?.value), 'c0', 'equal hlc: member 3 beats member 1');
    assert.equal(text(a.get('k1')?.value), 'c1');
  });
});

describe('member table', () => {
  const record = { name: 'node1', band: 0, clientUrls: ['http://127.0.0.1:2379'], peerUrls: [], learner: false, removed: false };

  test('records replicate, and concurrent first writes of the table do not hide each other', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    a.putMember('0000000000000001', record);
    b.putMember('0000000000000002', { ...record, name: 'node2', band: 1, learner: true });
    const fromA = a.commit()!.bytes;
    const fromB = b.commit()!.bytes;
    a.applyPeerChanges([fromB]);
    b.applyPeerChanges([fromA]);
    assert.deepEqual(a.members(), b.members());
    assert.deepEqual(
      a.members().map((m) => [m.id, m.record.name, m.record.band]),
      [
        ['0000000000000001', 'node1', 0],
        ['0000000000000002', 'node2', 1],
      ],
    );
    assert.equal(a.size(), 0, 'members are not keys');
  });

  test('a removal beats a concurrent write of the removed member\'s record, whichever Automerge picks', () => {
    for (const [remover, writer] of [[0, 1], [1, 0]] as const) {
      const docs = [createKvDocument(), createKvDocument()];
      docs[0]!.putMember('0000000000000003', { ...record, name: 'node3', band: 2 });
      docs[1]!.applyPeerChanges([docs[0]!.commit()!.bytes]);
      docs[remover]!.putMember('0000000000000003', { ...record, name: 'node3', band: 2, removed: true });
      docs[writer]!.putMember('0000000000000003', { ...record, name: 'node3', band: 2, clientUrls: ['http://127.0.0.1:9'] });
      const changes = docs.map((d) => d.commit()!.bytes);
      docs[0]!.applyPeerChanges([changes[1]!]);
      docs[1]!.applyPeerChanges([changes[0]!]);
      for (const d of docs) assert.equal(d.members()[0]!.record.removed, true);
    }
  });

  test('a rebase keeps the member table; bad ids and records are refused', () => {
    const doc = createKvDocument();
    doc.putMember('00000000000000aa', record);
    doc.put('k', bytes('v'), '0');
    doc.commit();
    const rebased = loadKvDocument({ base: rebaseChange(doc).bytes });
    assert.deepEqual(rebased.members(), doc.members());
    assert.throws(() => doc.putMember('AA', record), /member id/);
    assert.throws(() => doc.putMember('00000000000000aa', { ...record, band: -1 }), /bad member record/);
  });
});
