// Convergence property (docs/ARCHITECTURE.md §8.2): members writing
// concurrently and exchanging changes in any order, by push or by sync, end
// with one visible state, the one got by applying every transaction in tag
// order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, compareTags, createKvDocument, createPeerSync, resetPeerSync } from './index.js';
import type { KvDocument, PeerApplyResult, PeerSync, TxnTag } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Txn {
  tag: TxnTag;
  writes: { key: string; value: string | undefined }[];
}

interface Member {
  doc: KvDocument;
  clock: HybridClock;
  /** Every change this member has committed. */
  own: Uint8Array[];
  /** sync state towards each other member, by index */
  syncs: Map<number, PeerSync>;
}

const keySpace = ['a', 'b', 'c', 'd', 'e', 'f'];

function observeApplied(member: Member, result: PeerApplyResult): void {
  for (const key of result.touchedKeys) for (const v of member.doc.visibleValues(key)) member.clock.observe(v.tag);
}

function syncPair(members: Member[], i: number, j: number, rand: () => number, lossy: boolean): void {
  const [a, b] = [members[i]!, members[j]!];
  const [toB, toA] = [a.syncs.get(j)!, b.syncs.get(i)!];
  for (let round = 0; round < 30; round++) {
    const m1 = a.doc.generateSyncMessage(toB);
    if (m1 && !(lossy && rand() < 0.2)) observeApplied(b, b.doc.receiveSyncMessage(toA, m1));
    const m2 = b.doc.generateSyncMessage(toA);
    if (m2 && !(lossy && rand() < 0.2)) observeApplied(a, a.doc.receiveSyncMessage(toB, m2));
    if (!m1 && !m2) return;
  }
}

function visibleModel(txns: Txn[]): string[] {
  const state = new Map<string, string>();
  for (const txn of [...txns].sort((x, y) => compareTags(x.tag, y.tag))) {
    for (const { key, value } of txn.writes) {
      if (value === undefined) state.delete(key);
      else state.set(key, value);
    }
  }
  return [...state.keys()].sort().map((k) => `${JSON.stringify(k)}=${Buffer.from(bytes(state.get(k)!)).toString('hex')}/0`);
}

function runSeed(seed: number): void {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let wallMs = 1_000;
  // Skewed clocks: member 3 runs behind, so its tags often lose to older writes of the others.
  const skews = [0, 3, -5];
  const members: Member[] = [1, 2, 3].map((id, i) => ({
    doc: createKvDocument({ actorId: `${id}`.repeat(32) }),
    clock: new HybridClock(BigInt(id), () => wallMs + skews[i]!),
    own: [],
    syncs: new Map(),
  }));
  for (const [i, m] of members.entries()) for (const j of [0, 1, 2]) if (j !== i) m.syncs.set(j, createPeerSync());
  const txns: Txn[] = [];
  let revision = 0n;
  for (let step = 0; step < 60; step++) {
    if (rand() < 0.5) wallMs += Math.floor(rand() * 3);
    const action = rand();
    if (action < 0.55) {
      const m = pick(members);
      const tag = m.clock.next();
      const keys = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(keySpace)))];
      const writes = keys.map((key) => ({ key, value: rand() < 0.3 ? undefined : `${seed}:${step}:${key}` }));
      revision++;
      for (const { key, value } of writes) {
        if (value === undefined) m.doc.deleteTagged(key, tag, revision);
        else m.doc.putTagged(key, bytes(value), '0', tag, revision);
      }
      const change = m.doc.commit({ member: tag.member, revision });
      if (change) m.own.push(change.bytes);
      txns.push({ tag, writes });
    } else if (action < 0.8) {
      // Push: a few of one member's latest changes, in a random order, possibly with gaps.
      const from = Math.floor(rand() * 3);
      const to = (from + 1 + Math.floor(rand() * 2)) % 3;
      const recent = members[from]!.own.slice(-4).filter(() => rand() < 0.7);
      recent.sort(() => rand() - 0.5);
      observeApplied(members[to]!, members[to]!.doc.applyPeerChanges(recent));
    } else {
      const i = Math.floor(rand() * 3);
      const j = (i + 1 + Math.floor(rand() * 2)) % 3;
      syncPair(members, i, j, rand, true);
    }
  }
  // Heal: reset every state (rounds may have been cut by lost messages), then sync every pair until quiet.
  for (const m of members) for (const s of m.syncs.values()) resetPeerSync(s);
  for (let pass = 0; pass < 2; pass++) for (const [i, j] of [[0, 1], [1, 2], [0, 2]] as const) syncPair(members, i, j, rand, false);
  const states = members.map((m) => snapshot(m.doc));
  assert.deepEqual(states[1], states[0], `seed ${seed}: members 1 and 2 differ`);
  assert.deepEqual(states[2], states[0], `seed ${seed}: members 1 and 3 differ`);
  assert.deepEqual(states[0]!.entries, visibleModel(txns), `seed ${seed}: not the state of the transactions in tag order`);
  for (const m of members) assert.equal(m.doc.size(), states[0]!.entries.length);
}

describe('convergence', () => {
  test('three members with random concurrent transactions, pushes and lossy syncs end in the tag-order state', () => {
    for (let seed = 1; seed <= 40; seed++) runSeed(seed);
  });

  test('a transaction wins or loses whole, where Automerge alone would split it', () => {
    // Automerge alone picks per key by op id (counter, then actor): B's extra
    // first op gives B the higher counter on x, A's larger actor wins the tie on y.
    const a = createKvDocument({ actorId: 'ff'.repeat(16) });
    const b = createKvDocument({ actorId: 'aa'.repeat(16) });
    for (const [highA, winner] of [[true, 'A'], [false, 'B']] as const) {
      const [tagA, tagB] = highA ? [{ hlc: 20n, member: 1n }, { hlc: 10n, member: 2n }] : [{ hlc: 10n, member: 1n }, { hlc: 20n, member: 2n }];
      a.putTagged('x', bytes('A'), '0', tagA, 1n);
      a.putTagged('y', bytes('A'), '0', tagA, 1n);
      b.putTagged('w', bytes('B'), '0', tagB, 1n);
      b.putTagged('y', bytes('B'), '0', tagB, 1n);
      b.putTagged('x', bytes('B'), '0', tagB, 1n);
      const [fromA, fromB] = [a.commit()!.bytes, b.commit()!.bytes];
      a.applyPeerChanges([fromB]);
      b.applyPeerChanges([fromA]);
      for (const doc of [a, b]) {
        assert.deepEqual(['x', 'y'].map((k) => new TextDecoder().decode(doc.get(k)!.value)), [winner, winner]);
      }
      // Settle before the next case, so it starts from one state again.
      a.putTagged('x', bytes('-'), '0', { hlc: 30n, member: 1n }, 2n);
      a.putTagged('y', bytes('-'), '0', { hlc: 30n, member: 1n }, 2n);
      b.applyPeerChanges([a.commit()!.bytes]);
    }
  });
});
