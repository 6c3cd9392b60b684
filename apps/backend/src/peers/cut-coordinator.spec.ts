// Who proposes a due cut (docs/ARCHITECTURE.md §8.10, 1): the cut's
// preferred proposer at once, any other due member only after waiting
// ECKD_CUT_ROUND_TIMEOUT_MS for the decision. Real documents; the proposer
// is a stand-in that records its calls (the agreement runs over NATS in
// cut-proposer.spec.ts and the cluster specs).
import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, createKvDocument } from '@eckd/automerge-doc';
import type { CutProposal } from '@eckd/change-codec';
import { LeaseStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { CutCoordinator, preferredProposer } from './cut-coordinator.js';
import type { CutOutcome, CutProposer } from './cut-proposer.js';
import { emptyStoreOfBand } from './peer-config.js';
import type { PeerMember } from './peer-link.js';

const log = createLogger('cut-coordinator-spec', { level: 'warn' });
const node1: PeerMember = { name: 'node1', id: '30', band: 0 };
const node2: PeerMember = { name: 'node2', id: '100', band: 1 };
const node3: PeerMember = { name: 'node3', id: '7', band: 2 };
const voters = [node1, node2, node3];

/** A member whose document keeps 3 ops for 1 live key: due by a rule of 1 op per key. */
function dueMember(band: number): NodeState {
  const state: NodeState = { store: emptyStoreOfBand(band), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock: new HybridClock(BigInt(band + 1), () => 1_000) };
  for (const value of ['a', 'b', 'c']) {
    applyWrite(state, { patches: [], compactRevision: undefined }, { put: { key: Buffer.from('k'), value: Buffer.from(value) } });
    state.doc.commit({ member: state.clock!.member, revision: BigInt(state.store.revision) });
  }
  return state;
}

/** A coordinator for `self` with a stand-in proposer that never answers; its calls are counted. */
function coordinator(self: PeerMember, clock: { now: number }) {
  const proposals: CutProposal[] = [];
  const proposer = { propose: (p: CutProposal) => (proposals.push(p), new Promise<CutOutcome>(() => undefined)) } as unknown as CutProposer;
  const c = new CutCoordinator({
    state: dueMember(self.band), self, proposer, voters: () => voters, proposeAfterMs: 5_000,
    proposeWhenDue: { minOps: 1, opsPerLiveEntry: 1 },
    documentBytesMax: 1024 * 1024, laggardHoldMs: 60_000, peers: () => voters.filter((v) => v !== self),
    onSwitched: () => undefined, wake: () => undefined, log, now: () => clock.now,
  });
  return { c, proposals };
}

describe('the cut a due member proposes', () => {
  test('the preferred proposer: the voters by id, the cut number modulo their count', () => {
    // By id: node3 (7), node1 (30), node2 (100).
    assert.deepEqual([0, 1, 2, 3, 4].map((cut) => preferredProposer(voters, cut)?.name), ['node3', 'node1', 'node2', 'node3', 'node1']);
    assert.equal(preferredProposer([], 1), undefined);
  });

  test('cut 1: node1 proposes after its first due batch; node2 and node3 wait ECKD_CUT_ROUND_TIMEOUT_MS for the decision first', () => {
    const clock = { now: 0 };
    const [one, two, three] = [coordinator(node1, clock), coordinator(node2, clock), coordinator(node3, clock)];
    for (const m of [one, two, three]) m.c.afterBatch();
    assert.deepEqual([one.proposals.length, two.proposals.length, three.proposals.length], [1, 0, 0]);
    assert.equal(one.proposals[0]!.cut, '1');
    clock.now = 4_999;
    for (const m of [two, three]) m.c.afterBatch();
    assert.deepEqual([two.proposals.length, three.proposals.length], [0, 0], 'still within the wait');
    clock.now = 5_000;
    for (const m of [two, three]) m.c.afterBatch();
    assert.deepEqual([two.proposals.length, three.proposals.length], [1, 1], 'no decision came: each proposes itself');
  });

  test('a decision heard during the wait: the member follows it (here waiting for its cut point) and does not propose', () => {
    const clock = { now: 0 };
    const two = coordinator(node2, clock);
    two.c.afterBatch();
    const lineage = dueMember(0).doc.lineage();
    two.c.decided({ lineage: lineage.id, cut: '1', heads: ['ab'.repeat(32)], floor_excluded: [], proposer: node1.id });
    clock.now = 10_000;
    two.c.afterBatch();
    assert.equal(two.proposals.length, 0);
    two.c.stop();
  });
});
