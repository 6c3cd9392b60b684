// The cut agreement among three voters and a learner (ARCHITECTURE §8.10) on
// a real nats-server, each voter's state persisted by its own persister
// process (the built app) on a fresh Postgres database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lineage } from '@eckd/automerge-doc';
import type { CutProposal } from '@eckd/change-codec';
import { createLogger } from '@eckd/service-kit';
import { randomHex, waitUntil } from '@eckd/testing';
import { CutTestCluster, cutTestMembers } from '../../test/cut-test-members.js';
import type { CutTestMember } from '../../test/cut-test-members.js';
import { highestAccepted } from './cut-proposer.js';
import type { CutAgreementLimits } from './cut-proposer.js';
import type { PeerMember } from './peer-link.js';

const log = createLogger('cut-proposer-spec', { level: 'error' });
const { one, two, three, learner, all, voters } = cutTestMembers;
// Rounds time out at the default, not less: on a loaded machine a voter's append may take over a second.
// Every test stops its members, also when it fails: members left running answer the next test's steps on the same subjects.
const limits = { roundTimeoutMs: 5_000, retryMs: 50, roundsMax: 5 };

let cluster: CutTestCluster;

before(async () => {
  cluster = await CutTestCluster.start(['node1', 'node2', 'node3'], log);
});

after(() => cluster?.stop());

const hash = () => randomHex(32);
const proposalOf = (lineage: Lineage, proposer: PeerMember): CutProposal => ({ lineage: lineage.id, cut: String(lineage.cut + 1), heads: [hash()], floor_excluded: [], proposer: proposer.id });

/** Every member of `all` on a fresh lineage, the voters holding every head of `values`. */
async function members(values: (lineage: Lineage) => CutProposal[], only: readonly PeerMember[] = all, opts: { limits?: CutAgreementLimits; ownPrepare?: boolean; lineage?: Lineage } = {}) {
  const lineage: Lineage = opts.lineage ?? { id: hash(), cut: 0 };
  const proposals = values(lineage);
  const started = new Map<string, CutTestMember>();
  for (const m of only) {
    const member = await cluster.member(m.name, { all, voters, lineage, limits: opts.limits ?? limits, learner: m === learner, ownPrepare: opts.ownPrepare });
    for (const p of proposals) for (const h of p.heads) member.held.add(h);
    started.set(m.name, member);
  }
  const stop = () => started.forEach((m) => m.stop());
  return { lineage, proposals, at: (m: PeerMember) => started.get(m.name)!, stop };
}

/** `asker` prepares and gets acceptances for `value` (round 1) from `acceptors`, and tells no one: a proposer killed then. */
async function acceptedBy(c: Awaited<ReturnType<typeof members>>, asker: PeerMember, acceptors: readonly PeerMember[], value: CutProposal) {
  const ballot = { round: '1', member: asker.id };
  const step = { lineage: c.lineage.id, cut: '1' };
  for (const v of acceptors) assert.equal((await c.at(asker).link.ask(v, { ...step, op: 'prepare', prepare: { ballot } }, 5_000)).ok, true);
  for (const v of acceptors) assert.equal((await c.at(asker).link.ask(v, { ...step, op: 'accept', accept: { ballot, proposal: value } }, 5_000)).ok, true);
}

describe('cut proposer', () => {
  test('three voters choose one value; every member, the learner too, hears the decision', async () => {
    const c = await members((lineage) => [proposalOf(lineage, one)]);
    const [own] = c.proposals;
    try {
      const outcome = await c.at(one).proposer.propose(own!);
      assert.deepEqual(outcome, { chosen: own, rounds: 1 });
      // A majority's acceptances choose the value: the third voter's (its append still in flight) may come after.
      await waitUntil(() => voters.every((v) => c.at(v).acceptor.state(c.lineage.id, 1)?.accepted?.proposal?.proposer === own!.proposer), 10_000, 'every voter accepted it');
      for (const v of voters) assert.deepEqual(c.at(v).acceptor.state(c.lineage.id, 1)?.accepted?.proposal, own, `${v.name} accepted it`);
      for (const m of all) assert.deepEqual(c.at(m).decided, [own], `${m.name} heard it`);
    } finally {
      c.stop();
    }
  });

  test('two concurrent proposers choose one value: the higher ballot wins, the other adopts it', async () => {
    const c = await members((lineage) => [proposalOf(lineage, one), proposalOf(lineage, three)]);
    try {
      const [fromOne, fromThree] = await Promise.all(c.proposals.map((p, i) => c.at(i === 0 ? one : three).proposer.propose(p)));
      assert.ok(fromOne!.chosen && fromThree!.chosen, 'both end with a chosen value');
      assert.deepEqual(fromOne!.chosen, fromThree!.chosen);
      assert.ok(c.proposals.some((p) => p.proposer === fromOne!.chosen!.proposer));
      // The two values differ (their heads): one proposer ended with the other's.
      assert.equal([fromOne!, fromThree!].filter((o, i) => o.chosen!.proposer !== c.proposals[i]!.proposer).length, 1);
      await waitUntil(() => all.every((m) => c.at(m).decided.length === 1), 5_000, 'every member heard one decision');
      for (const m of all) assert.deepEqual(c.at(m).decided, [fromOne!.chosen], `${m.name} heard the chosen value only`);
    } finally {
      c.stop();
    }
  });

  test('a minority cannot choose: the proposal is given up after its rounds, nothing accepted', async () => {
    const c = await members((lineage) => [proposalOf(lineage, one)], [one, learner]);
    try {
      const outcome = await c.at(one).proposer.propose(c.proposals[0]!);
      assert.deepEqual(outcome, { chosen: undefined, rounds: limits.roundsMax });
      assert.equal(c.at(one).acceptor.state(c.lineage.id, 1)?.accepted ?? null, null, 'its own voter promised, accepted nothing');
      assert.deepEqual(c.at(learner).decided, []);
    } finally {
      c.stop();
    }
  });

  test('a proposer killed after a majority accepted: another prepare finds the accepted value and completes it', async () => {
    const c = await members((lineage) => [proposalOf(lineage, one), proposalOf(lineage, three)]);
    const [first, second] = c.proposals;
    const ballot = { round: '1', member: one.id };
    const step = { lineage: c.lineage.id, cut: '1' };
    try {
      for (const v of voters) assert.equal((await c.at(one).link.ask(v, { ...step, op: 'prepare', prepare: { ballot } }, 5_000)).ok, true);
      for (const v of [one, two]) assert.equal((await c.at(one).link.ask(v, { ...step, op: 'accept', accept: { ballot, proposal: first! } }, 5_000)).ok, true);
      // Killed before it told anyone: no decision went out.
      c.at(one).stop();
      const outcome = await c.at(three).proposer.propose(second!);
      assert.deepEqual(outcome.chosen, first, 'the accepted value, not its own');
      for (const m of [two, three, learner]) assert.deepEqual(c.at(m).decided, [first], `${m.name} heard the first value`);
    } finally {
      c.stop();
    }
  });

  test('among promises, the value accepted under the highest ballot is the one to propose', () => {
    const lineage: Lineage = { id: hash(), cut: 0 };
    const [a, b] = [proposalOf(lineage, one), proposalOf(lineage, two)];
    const accepted = (round: string, member: PeerMember, proposal: CutProposal) => ({ accepted: { ballot: { round, member: member.id }, proposal } });
    assert.equal(highestAccepted([{ accepted: null }, {}]), undefined);
    assert.deepEqual(highestAccepted([accepted('2', one, a), accepted('3', two, b), { accepted: null }])?.proposal, b);
    assert.deepEqual(highestAccepted([accepted('3', one, a), accepted('2', two, b)])?.proposal, a);
    // One round: the higher member id.
    const higher = BigInt(one.id) > BigInt(two.id) ? a : b;
    assert.deepEqual(highestAccepted([accepted('4', one, a), accepted('4', two, b)])?.proposal, higher);
  });

  test('a voter that knows the decision answers with it: another proposer\'s call ends with that value in its first round', async () => {
    const c = await members((lineage) => [proposalOf(lineage, one), proposalOf(lineage, three)]);
    const [first, second] = c.proposals;
    try {
      assert.deepEqual((await c.at(one).proposer.propose(first!)).chosen, first);
      // A proposer that never heard it (its decided lost, say): its prepare is answered with the decision.
      c.at(three).stop();
      const late = await cluster.member('node3', { all, voters, lineage: c.lineage, limits });
      try {
        for (const h of second!.heads) late.held.add(h);
        const outcome = await late.proposer.propose(second!);
        assert.deepEqual(outcome, { chosen: first, rounds: 1 }, 'ended with the decision, no more rounds');
        assert.deepEqual(late.decided, [first], 'its own acceptor learned it');
        assert.equal(late.acceptor.state(c.lineage.id, 1)?.accepted?.proposal?.proposer, first!.proposer, 'nothing else accepted');
      } finally {
        late.stop();
      }
    } finally {
      c.stop();
    }
  });

  test('a call ends once its cut is decided by a value heard meanwhile (the acceptor\'s onDecided), without running its rounds out', async () => {
    // A minority: its rounds fail until the decision comes.
    const c = await members((lineage) => [proposalOf(lineage, one), proposalOf(lineage, two)], [one, learner], { limits: { roundTimeoutMs: 5_000, retryMs: 200, roundsMax: 1_000 } });
    const [own, other] = c.proposals;
    try {
      const call = c.at(one).proposer.propose(own!);
      await waitUntil(() => c.at(one).proposer.running(c.lineage.id, 1), 5_000, 'the call runs');
      await new Promise((r) => setTimeout(r, 500));
      c.at(one).acceptor.decided(other!);
      const outcome = await call;
      assert.deepEqual(outcome.chosen, other, 'the value heard');
      assert.ok(outcome.rounds < 1_000, `${outcome.rounds} rounds`);
      assert.equal(c.at(one).proposer.running(c.lineage.id, 1), false);
    } finally {
      c.stop();
    }
  });

  test('a voter that accepted and hears no decision runs a prepare itself: the value completes and every member hears it', async () => {
    const quick = { roundTimeoutMs: 2_000, retryMs: 50, roundsMax: 5 };
    const c = await members((lineage) => [proposalOf(lineage, one)], all, { limits: quick, ownPrepare: true });
    const [first] = c.proposals;
    try {
      await acceptedBy(c, one, [one, two], first!);
      // Killed before it told anyone: two (and one, were it up) waits two round timeouts (jittered), then prepares.
      c.at(one).stop();
      await waitUntil(() => [two, three, learner].every((m) => c.at(m).decided.length > 0), 30_000, 'the decision at every member that is up');
      for (const m of [two, three, learner]) assert.deepEqual(c.at(m).decided, [first], `${m.name} heard the accepted value`);
    } finally {
      c.stop();
    }
  });

  test('after a restart, a stored acceptance without a decision is completed the same way', async () => {
    const quick = { roundTimeoutMs: 2_000, retryMs: 50, roundsMax: 5 };
    const c = await members((lineage) => [proposalOf(lineage, one)], all, { limits: quick });
    const [first] = c.proposals;
    await acceptedBy(c, one, [one, two], first!);
    // Every member killed before a decision; they restart with what their Postgres holds.
    c.stop();
    const again = await members(() => [first!], all, { limits: quick, ownPrepare: true, lineage: c.lineage });
    try {
      await waitUntil(() => all.every((m) => again.at(m).decided.length > 0), 30_000, 'the decision at every member');
      for (const m of all) assert.deepEqual(again.at(m).decided, [first], `${m.name} heard the accepted value`);
    } finally {
      again.stop();
    }
  });
});
