// Convergence property (docs/ARCHITECTURE.md §8.2): members writing
// concurrently and exchanging changes in any order, by push or by sync, end
// with one visible state, the one got by applying every transaction in tag
// order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument } from './index.js';
import { Cluster, visibleModel } from './cluster-harness.js';
import { bytes, snapshot } from './test-helpers.js';

function runSeed(seed: number): void {
  const cluster = new Cluster(seed);
  for (let step = 0; step < 60; step++) cluster.step(String(step));
  cluster.heal();
  const states = cluster.members.map((m) => snapshot(m.doc));
  assert.deepEqual(states[1], states[0], `seed ${seed}: members 1 and 2 differ`);
  assert.deepEqual(states[2], states[0], `seed ${seed}: members 1 and 3 differ`);
  assert.deepEqual(states[0]!.entries, visibleModel(cluster.txns), `seed ${seed}: not the state of the transactions in tag order`);
  for (const m of cluster.members) assert.equal(m.doc.size(), states[0]!.entries.length);
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
