// A voter of the cut agreement (ARCHITECTURE §8.10) on a real nats-server,
// its state persisted by its own persister process (the built app) on a
// fresh Postgres database and restored by the load, as a backend does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lineage } from '@eckd/automerge-doc';
import type { CutProposal } from '@eckd/change-codec';
import { createLogger } from '@eckd/service-kit';
import { randomHex, waitUntil } from '@eckd/testing';
import { CutAcceptor } from './cut-acceptor.js';
import { CutTestCluster, cutTestMembers } from '../../test/cut-test-members.js';
import type { CutTestMember } from '../../test/cut-test-members.js';

const log = createLogger('cut-acceptor-spec', { level: 'error' });
const { one, two, three, learner, all, voters } = cutTestMembers;
const limits = { roundTimeoutMs: 400, retryMs: 50, roundsMax: 2 };

let cluster: CutTestCluster;

before(async () => {
  cluster = await CutTestCluster.start(['node1', 'node2'], log);
});

after(() => cluster?.stop());

/** A lineage of its own per test: the persisted states of one test never meet another's. */
const freshLineage = (): Lineage => ({ id: randomHex(32), cut: 0 });
const hash = () => randomHex(32);
const ballot = (round: number, member: { id: string }) => ({ round: String(round), member: member.id });
const proposalOf = (lineage: Lineage, heads: string[], proposer: { id: string }): CutProposal => ({ lineage: lineage.id, cut: String(lineage.cut + 1), heads, floor_excluded: [], proposer: proposer.id });

/** `asker` sends `voter` a prepare of `b` for the next cut of `lineage`. */
function prepare(asker: CutTestMember, voter: { name: string; id: string; band: number }, lineage: Lineage, b: ReturnType<typeof ballot>) {
  return asker.link.ask(voter, { lineage: lineage.id, cut: String(lineage.cut + 1), op: 'prepare', prepare: { ballot: b } }, 5_000);
}

function accept(asker: CutTestMember, voter: { name: string; id: string; band: number }, b: ReturnType<typeof ballot>, proposal: CutProposal) {
  return asker.link.ask(voter, { lineage: proposal.lineage, cut: proposal.cut, op: 'accept', accept: { ballot: b, proposal } }, 5_000);
}

describe('cut acceptor', () => {
  test('promises a ballot not below its promise, refuses a lower one with the promised ballot, answers what it accepted', async () => {
    const lineage = freshLineage();
    const [a, b, c] = [await cluster.member('node1', { all, voters, lineage, limits }), await cluster.member('node2', { all, voters, lineage, limits }), await cluster.member('node3', { all, voters, lineage, limits, learner: true })];
    const value = proposalOf(lineage, [hash()], two);
    a.held.add(value.heads[0]!);
    assert.equal((await prepare(b, one, lineage, ballot(2, two))).ok, true);
    const lower = await prepare(c, one, lineage, ballot(1, three));
    assert.equal(lower.ok, false);
    assert.deepEqual(lower.promised, ballot(2, two));
    const accepted = await accept(b, one, ballot(2, two), value);
    assert.equal(accepted.ok, true);
    // A higher prepare gets the promise and, with it, the value accepted before.
    const higher = await prepare(c, one, lineage, ballot(3, three));
    assert.equal(higher.ok, true);
    assert.deepEqual(higher.accepted, { ballot: ballot(2, two), proposal: value });
    // The accept of the lower ballot now is refused, with the promise it lost to.
    const late = await accept(b, one, ballot(2, two), value);
    assert.equal(late.ok, false);
    assert.deepEqual(late.promised, ballot(3, three));
    for (const m of [a, b, c]) m.stop();
  });

  test('a voter that restarts keeps its promise and its acceptance (persisted before it answered, restored by the load)', async () => {
    const lineage = freshLineage();
    const asker = await cluster.member('node2', { all, voters, lineage, limits });
    const before = await cluster.member('node1', { all, voters, lineage, limits });
    const value = proposalOf(lineage, [hash()], two);
    before.held.add(value.heads[0]!);
    assert.equal((await accept(asker, one, ballot(4, two), value)).ok, true);
    assert.equal((await prepare(asker, one, lineage, ballot(5, two))).ok, true);
    before.stop();

    const restarted = await cluster.member('node1', { all, voters, lineage, limits });
    assert.deepEqual(restarted.acceptor.state(lineage.id, lineage.cut + 1), { lineage: lineage.id, cut: String(lineage.cut + 1), promised: ballot(5, two), accepted: { ballot: ballot(4, two), proposal: value } });
    const refused = await prepare(asker, one, lineage, ballot(3, two));
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.promised, ballot(5, two));
    const promised = await prepare(asker, one, lineage, ballot(6, two));
    assert.deepEqual(promised.accepted, { ballot: ballot(4, two), proposal: value });
    for (const m of [asker, restarted]) m.stop();
  });

  test('a promise whose append is refused (the voter was fenced by a newer backend\'s load) is not given', async () => {
    const lineage = freshLineage();
    const stale = await cluster.member('node1', { all, voters, lineage, limits });
    stale.link.stop();
    // A newer incarnation's load claims the next fencing epoch: the stale one's appends are refused.
    const current = await cluster.member('node1', { all, voters, lineage, limits });
    const answer = await stale.acceptor.prepare(two.id, lineage.id, '1', ballot(1, two));
    assert.equal(answer.ok, false);
    assert.match(answer.error?.message ?? '', /append failed/);
    assert.equal(current.acceptor.state(lineage.id, 1), undefined);
    for (const m of [stale, current]) m.stop();
  });

  test('an acceptor lacking H refuses after the round timeout; one that comes to hold H while waiting accepts', async () => {
    const lineage = freshLineage();
    const asker = await cluster.member('node2', { all, voters, lineage, limits });
    const voter = await cluster.member('node1', { all, voters, lineage, limits });
    const lacking = proposalOf(lineage, [hash()], two);
    const started = performance.now();
    const refused = await accept(asker, one, ballot(1, two), lacking);
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /does not hold the cut point/);
    assert.ok(performance.now() - started >= limits.roundTimeoutMs - 20, 'it waited for H');
    assert.equal(voter.acceptor.state(lineage.id, 1), undefined, 'nothing accepted, nothing persisted');

    const arriving = proposalOf(lineage, [hash(), hash()], two);
    const answer = accept(asker, one, ballot(1, two), arriving);
    setTimeout(() => {
      for (const h of arriving.heads) voter.held.add(h);
      voter.acceptor.heldChanged();
    }, 100);
    assert.equal((await answer).ok, true);
    for (const m of [asker, voter]) m.stop();
  });

  test('learners never vote; a ballot is only its sender\'s; both hear decisions', async () => {
    const lineage = freshLineage();
    const voter = await cluster.member('node1', { all, voters, lineage, limits });
    const listener = await cluster.member('node4', { all, voters, lineage, limits, learner: true });
    const refused = await prepare(voter, learner, lineage, ballot(1, one));
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /not a voter/);
    const forged = await prepare(listener, one, lineage, ballot(9, two));
    assert.equal(forged.ok, false);
    assert.match(forged.error?.message ?? '', /ballot of member/);
    const value = proposalOf(lineage, [hash()], one);
    for (const to of [one, learner]) assert.equal((await voter.link.ask(to, { lineage: lineage.id, cut: '1', op: 'decided', decided: { proposal: value } }, 5_000)).ok, true);
    assert.deepEqual([voter.decided, listener.decided], [[value], [value]]);
    const status = await listener.link.ask(one, { lineage: lineage.id, cut: '1', op: 'status', status: {} }, 5_000);
    assert.deepEqual(status.decided, value);
    for (const m of [voter, listener]) m.stop();
  });

  test('a restarted member answers status from the cut record of its lineage, and hands no decision on again', () => {
    const lineage = freshLineage();
    const value = proposalOf(lineage, [hash()], two);
    const heard: CutProposal[] = [];
    const acceptor = new CutAcceptor({
      isVoter: () => true, holds: () => false, roundTimeoutMs: 100, log, recorded: value,
      persist: () => Promise.reject(new Error('nothing to persist for a status')),
      onDecided: (p) => heard.push(p),
    });
    assert.deepEqual(acceptor.status(lineage.id, '1'), { ok: true, decided: value });
    assert.deepEqual(acceptor.status(lineage.id, '2'), { ok: false, decided: null });
    assert.deepEqual(heard, []);
  });

  test('a step about another lineage is refused with the voter\'s own, counted by the lineage gate; an older sender is told', async () => {
    const newer: Lineage = { id: randomHex(32), cut: 1 };
    const older: Lineage = { id: randomHex(32), cut: 0 };
    const voter = await cluster.member('node1', { all, voters, lineage: newer, limits });
    const behind = await cluster.member('node2', { all, voters, lineage: older, limits });
    const reply = await prepare(behind, one, older, ballot(1, two));
    assert.equal(reply.ok, false);
    assert.deepEqual([reply.lineage, reply.cut], [newer.id, '1']);
    assert.equal(voter.peerLink.lineage.dropped.older, 1);
    assert.equal(voter.acceptor.state(older.id, 1), undefined);
    await waitUntil(() => behind.peerLink.lineage.notices.received === 1, 5_000, 'the CutNotice at the older member');
    for (const m of [voter, behind]) m.stop();
  });

  test('a voter that knows a cut\'s decision answers a prepare or an accept about it with the decision, also once it moved on to the new lineage', async () => {
    const older: Lineage = freshLineage();
    const value = proposalOf(older, [hash()], three);
    const newer: Lineage = { id: randomHex(32), cut: 1 };
    const asker = await cluster.member('node2', { all, voters, lineage: older, limits });
    // node1 on the same lineage, knowing the decision; then as it is after its switch, still knowing it (kept in memory).
    for (const lineage of [older, newer]) {
      const voter = await cluster.member('node1', { all, voters, lineage, limits });
      voter.held.add(value.heads[0]!);
      voter.acceptor.decided(value);
      const promise = await prepare(asker, one, older, ballot(7, two));
      assert.deepEqual([promise.ok, promise.decided], [false, value], `a prepare on ${lineage === older ? 'the same' : 'the new'} lineage`);
      const acceptance = await accept(asker, one, ballot(7, two), proposalOf(older, [hash()], two));
      assert.deepEqual([acceptance.ok, acceptance.decided], [false, value]);
      assert.equal(voter.acceptor.state(older.id, 1), undefined, 'nothing promised or accepted');
      assert.equal(voter.peerLink.lineage.dropped.older, 0, 'answered, not gated');
      voter.stop();
    }
    asker.stop();
  });
});
