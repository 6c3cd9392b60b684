// The coordinated cut's building blocks (docs/ARCHITECTURE.md §8.10): three
// members write random concurrent transactions, agree on a cut point H that
// all of them hold, go on writing and exchanging partially, then each builds
// the base at H and translates the old-lineage changes it holds. The base is
// the same bytes everywhere; each member's new document shows what its old
// one showed (the switch is invisible to its key index); translations of one
// change made by different members are the same change; and once everything
// is exchanged the new lineage holds the state the old lineage ends in: every
// transaction applied in tag order. Members re-expressing their own writes
// instead (a returning laggard's way) merge into that state too.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutTranslator, baseChangeHash, buildCutBase, createKvDocument, createPeerSync, cutRecordOf, loadKvDocument, reexpressOwnWrites } from './index.js';
import type { KvDocument } from './index.js';
import { changeHeaderOf } from './change-header.js';
import { Cluster, visibleModel } from './cluster-harness.js';
import { snapshot } from './test-helpers.js';

/** Syncs two documents until neither has anything to say. */
function syncUntilQuiet(a: KvDocument, b: KvDocument): void {
  const [toB, toA] = [createPeerSync(), createPeerSync()];
  for (let round = 0; round < 50; round++) {
    const m1 = a.generateSyncMessage(toB);
    if (m1) b.receiveSyncMessage(toA, m1);
    const m2 = b.generateSyncMessage(toA);
    if (m2) a.receiveSyncMessage(toB, m2);
    if (!m1 && !m2) return;
  }
  throw new Error('sync did not settle');
}

function changeHashes(changes: Uint8Array[]): string[] {
  return changes.map((c) => changeHeaderOf(c).hash);
}

/** The heads of the changes every document holds (a set closed under dependencies, as each document's is). */
function sharedHeads(docs: KvDocument[]): string[] {
  const held = docs.map((doc) => new Set(changeHashes(doc.changesSince([]))));
  const shared = docs[0]!.changesSince([]).map(changeHeaderOf).filter((h) => held.every((set) => set.has(h.hash)));
  const depended = new Set(shared.flatMap((h) => h.deps));
  return shared.filter((h) => !depended.has(h.hash)).map((h) => h.hash);
}

function runSeed(seed: number): void {
  const cluster = new Cluster(seed);
  const { members } = cluster;
  for (let step = 0; step < 30; step++) cluster.step(`a${step}`);
  if (seed % 4 === 0) cluster.heal();
  for (let step = 0; step < 10; step++) cluster.step(`b${step}`);
  // H: the heads of the changes every member holds, while each may hold more,
  // written concurrently with parts of H.
  const cutHeads = sharedHeads(members.map((m) => m.doc));
  // Few writes after H on some seeds, so that values at H often stay visible.
  for (let step = 0; step < 3 + (seed % 17); step++) cluster.step(`c${step}`);
  // Every write outside H carries a tag at least this high, so tombstones below it
  // may be left out of the base (odd seeds keep them all).
  const outside = new Set(changeHashes(members[0]!.doc.changesSince(cutHeads)).concat(...members.slice(1).map((m) => changeHashes(m.doc.changesSince(cutHeads)))));
  const laterTags = cluster.txns.filter((t) => outside.has(t.change)).map((t) => t.tag.hlc);
  const floor = seed % 2 === 0 ? laterTags.reduce((a, b) => (a < b ? a : b), 1n << 62n) : 0n;

  const bases = members.map((m) => buildCutBase(m.doc.cutStateAt(cutHeads), { cut: 1, previousLineage: baseChangeHash }, floor));
  for (const base of bases.slice(1)) assert.deepEqual(base.bytes, bases[0]!.bytes, `seed ${seed}: bases differ`);
  const { bytes: base, lineage } = bases[0]!;
  const seqs = members.map((m) => cutRecordOf(m.doc, cutHeads).seqsInCut);
  for (const s of seqs.slice(1)) assert.deepEqual(s, seqs[0], `seed ${seed}: sequences inside the cut differ`);

  // Each member switches with what it holds now: its new document shows exactly what its old one shows.
  const translators = members.map(() => new CutTranslator(base, lineage, seqs[0]!));
  const next = members.map((m, i) => {
    const doc = loadKvDocument({ base, actorId: `${i + 4}`.repeat(32) });
    const result = doc.applyPeerChanges(m.doc.changesSince(cutHeads).map((c) => translators[i]!.translate(c).bytes));
    assert.equal(result.missingDeps, false);
    assert.deepEqual(snapshot(doc).entries, snapshot(m.doc).entries, `seed ${seed}: member ${i + 1}'s switch changed what it shows`);
    return doc;
  });

  // Old-lineage changes still arriving (a peer that had not switched) are translated on arrival.
  cluster.heal();
  for (const [i, m] of members.entries()) next[i]!.applyPeerChanges(m.doc.changesSince(cutHeads).map((c) => translators[i]!.translate(c).bytes));
  // Translations of one change are one change, whoever made them.
  const hashes = translators.map((t, i) => members[i]!.doc.changesSince(cutHeads).map((c) => t.translate(c).hash).sort());
  assert.deepEqual(hashes[1], hashes[0], `seed ${seed}: translations differ`);
  assert.deepEqual(hashes[2], hashes[0], `seed ${seed}: translations differ`);

  for (const [i, j] of [[0, 1], [1, 2], [0, 2]] as const) syncUntilQuiet(next[i]!, next[j]!);
  const expected = visibleModel(cluster.txns);
  for (const [i, doc] of next.entries()) {
    assert.deepEqual(snapshot(doc), snapshot(next[0]!), `seed ${seed}: new documents of members 1 and ${i + 1} differ`);
    assert.deepEqual(snapshot(doc).entries, expected, `seed ${seed}: member ${i + 1}'s new lineage is not the tag-order state`);
    assert.deepEqual(snapshot(members[i]!.doc).entries, expected, `seed ${seed}: old lineage of member ${i + 1}`);
  }
  for (const t of translators) t.free();
  for (const doc of next) doc.free();

  // A member returning after the hold re-expresses its own writes instead (reexpressOwnWrites): when
  // every member does so onto the base, the merged result is the same tag-order state.
  const { origins } = cutRecordOf(members[0]!.doc, cutHeads);
  const reexpressed = members.map((m, i) => {
    const doc = loadKvDocument({ base, actorId: `${i + 7}`.repeat(32) });
    reexpressOwnWrites(doc, m.own, origins.get(m.clock.member.toString(16).padStart(16, '0')) ?? 0n);
    return { doc, change: doc.commit({ member: m.clock.member, revision: 1_000_000n })?.bytes };
  });
  for (const { doc } of reexpressed) {
    doc.applyPeerChanges(reexpressed.flatMap(({ change }) => (change ? [change] : [])));
    assert.deepEqual(snapshot(doc).entries, expected, `seed ${seed}: re-expressed writes do not merge into the tag-order state`);
    doc.free();
  }
}

describe('cut translation', () => {
  test('a member\'s changes across a restart (two actors) stay one chain: its root entries end as in the old lineage', () => {
    const owner = '0000000000000001';
    const first = createKvDocument({ actorId: 'a1'.repeat(16) });
    first.putMember(owner, { name: 'node1', band: 0, clientUrls: [], peerUrls: [], learner: false, removed: false });
    first.commit({ member: 1n, revision: 1n });
    const cutHeads = first.heads();
    first.putLease('9', 30, owner);
    first.putMember(owner, { name: 'node1', band: 0, clientUrls: ['http://a:1'], peerUrls: [], learner: false, removed: false });
    first.commit({ member: 1n, revision: 2n });
    // The backend restarts with a fresh actor on what it stored, revokes the lease and moves its URL.
    const restarted = loadKvDocument({ saved: first.save(), actorId: 'a2'.repeat(16) });
    restarted.deleteLease('9');
    restarted.putMember(owner, { name: 'node1', band: 0, clientUrls: ['http://b:2'], peerUrls: [], learner: false, removed: false });
    restarted.commit({ member: 1n, revision: 3n });

    const { bytes: base, lineage } = buildCutBase(restarted.cutStateAt(cutHeads), { cut: 1, previousLineage: baseChangeHash }, 0n);
    const translator = new CutTranslator(base, lineage, cutRecordOf(restarted, cutHeads).seqsInCut);
    const next = loadKvDocument({ base });
    next.applyPeerChanges(restarted.changesSince(cutHeads).map((c) => translator.translate(c).bytes));
    assert.deepEqual(next.leases(), []);
    assert.deepEqual(next.members(), restarted.members());
    assert.deepEqual(next.heads().length, 1, 'one chain');
    translator.free();
  });

  test('three members with random concurrent transactions around a cut end in the tag-order state on one lineage', () => {
    for (let seed = 1; seed <= 60; seed++) runSeed(seed);
  });
});
