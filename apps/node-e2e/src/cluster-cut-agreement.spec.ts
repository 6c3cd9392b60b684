// The agreement on a history cut runs in every backend with peers (docs/
// ARCHITECTURE.md §8.10, wiring step 3b): three members, each with its own
// nats-server and Postgres; the spec sends prepare and accept steps on a
// member's `cut` subject as a peer would. A voter promises, accepts only
// under a ballot not below its promise and only once it holds the cut point
// H (waiting ECKD_CUT_ROUND_TIMEOUT_MS for it), stores its state in its own
// Postgres before it answers, and keeps it across a SIGKILL of its backend.
// No member proposes a value of its own (ECKD_CUT_WITH_PEERS is off); the
// values the spec had voters accept, never decided by it, are completed by
// the voters' own prepare and every member switches to that cut.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { clusterSubjects, codecs, cutCodecs } from '@eckd/change-codec';
import type { CutBallot, CutProposal, CutReply, CutRequest } from '@eckd/change-codec';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const names = ['node1', 'node2', 'node3'];
/** Not the default (5,000): the refusal's timing shows the setting reached the acceptor. */
const roundTimeoutMs = 4_000;
/**
 * The original base's hash (libs/automerge-doc `baseChangeHash`), the
 * lineage of a cluster that never cut; the e2e specs may not import the
 * backend's libraries. A wrong id would be refused by the lineage gate, so
 * the first promise below also checks it.
 */
const originalLineage = '998eaa9333d6839d32cd4fa502808f6c45fa81ce7ee71f125bf204fdaeeb1277';

let cluster: Cluster;
let clients: Etcd3[] = [];
/** one connection per member's own nats-server, so a partitioned member can still be asked */
let connections: NatsConnection[] = [];
/** member ids (decimal) by name */
let ids: Record<string, string> = {};
let clusterId = '';

before(async () => {
  cluster = await startCluster({
    nodes: names.length,
    jetstream: false,
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(','), ECKD_CUT_ROUND_TIMEOUT_MS: String(roundTimeoutMs) }),
  });
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  connections = await Promise.all(cluster.members.map((m) => connect({ servers: m.natsUrl })));
  const list = await clients[0]!.cluster.memberList({});
  ids = Object.fromEntries(list.members.map((m) => [m.name, String(m.ID)]));
  clusterId = String(list.header.cluster_id);
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  for (const nc of connections) await nc.close();
  await cluster?.stop();
});

const ballot = (round: number, member: string): CutBallot => ({ round: String(round), member: ids[member]! });
const proposalOf = (heads: string[], proposer: string): CutProposal => ({ lineage: originalLineage, cut: '1', heads, floor_excluded: [], proposer: ids[proposer]! });

/** `from` sends member `to` one step of cut 1 of the original lineage, through `to`'s own nats-server. */
async function ask(to: number, from: string, step: Omit<CutRequest, 'cluster_id' | 'from' | 'lineage' | 'cut'>): Promise<CutReply> {
  const request: CutRequest = { cluster_id: clusterId, from: ids[from]!, lineage: originalLineage, cut: '1', ...step };
  const subject = clusterSubjects(cluster.subjectPrefix).cut(names[to]!);
  const msg = await connections[to]!.request(subject, cutCodecs.cutRequest.encode(request), { timeout: roundTimeoutMs * 3 });
  return cutCodecs.cutReply.decode(msg.data);
}

const prepare = (to: number, from: string, b: CutBallot) => ask(to, from, { op: 'prepare', prepare: { ballot: b } });
const accept = (to: number, from: string, b: CutBallot, proposal: CutProposal) => ask(to, from, { op: 'accept', accept: { ballot: b, proposal } });

/**
 * Member `writer`'s heads once a put of its own is pushed: its last push
 * after the put carries them (heard on `via`'s nats-server, which must be
 * on the writer's side of any partition).
 */
async function headsAfterPut(writer: number, via: number, key: string): Promise<string[]> {
  let heads: string[] | undefined;
  const sub = connections[via]!.subscribe(clusterSubjects(cluster.subjectPrefix).changes, {
    callback: (_err, msg) => {
      const push = codecs.peerChanges.decode(msg.data);
      if (String(push.origin) === ids[names[writer]!]) heads = push.heads;
    },
  });
  try {
    await connections[via]!.flush();
    await clients[writer]!.put(key).value('v');
    await waitUntil(() => heads !== undefined, 10_000, `the push of ${names[writer]}'s put`);
    // A later push of the writer's would only carry newer heads, which it holds too: either set is its own.
    await new Promise((r) => setTimeout(r, 200));
    return heads!;
  } finally {
    sub.unsubscribe();
  }
}

/** The voter states stored in member `i`'s Postgres. */
async function storedStates(i: number): Promise<{ lineage: string; cut: string; promised_round: string; promised_member: string }[]> {
  const db = new pg.Client({ connectionString: cluster.member(i).database.url });
  await db.connect();
  try {
    return (await db.query('select lineage, cut::text as cut, promised_round::text as promised_round, promised_member::text as promised_member from eckd_cut_acceptor order by lineage, cut')).rows;
  } finally {
    await db.end();
  }
}

describe('the cut agreement in the backend', () => {
  let held: CutProposal;
  /** the value node2 accepts once H arrives */
  let arriving: CutProposal | undefined;

  test('a voter promises, refuses a lower ballot with its promise, accepts under a ballot not below it once it holds H, and stores its state in its Postgres', async () => {
    held = proposalOf(await headsAfterPut(0, 0, 'agree/held'), 'node2');
    const promised = await prepare(0, 'node2', ballot(2, 'node2'));
    assert.equal(promised.ok, true, promised.error?.message);
    assert.deepEqual([promised.promised, promised.accepted ?? null], [ballot(2, 'node2'), null]);
    assert.deepEqual([promised.lineage, promised.cut], ['', '0'], 'the member answers with its own lineage: the original');
    assert.deepEqual(await storedStates(0), [{ lineage: originalLineage, cut: '1', promised_round: '2', promised_member: ids['node2'] }], 'stored before the answer');

    const lower = await prepare(0, 'node3', ballot(1, 'node3'));
    assert.equal(lower.ok, false);
    assert.deepEqual(lower.promised, ballot(2, 'node2'));
    const lowerAccept = await accept(0, 'node3', ballot(1, 'node3'), proposalOf(held.heads, 'node3'));
    assert.equal(lowerAccept.ok, false, 'an accept below the promise');

    const accepted = await accept(0, 'node2', ballot(2, 'node2'), held);
    assert.equal(accepted.ok, true, accepted.error?.message);
    assert.deepEqual(accepted.accepted, { ballot: ballot(2, 'node2'), proposal: held });
    const higher = await prepare(0, 'node3', ballot(3, 'node3'));
    assert.equal(higher.ok, true);
    assert.deepEqual(higher.accepted, { ballot: ballot(2, 'node2'), proposal: held }, 'a higher prepare hears what was accepted');
    assert.deepEqual((await storedStates(0)).map((s) => [s.promised_round, s.promised_member]), [['3', ids['node3']]]);
    assert.deepEqual(await storedStates(1), [], 'nothing asked of node2');
  });

  test('its promise and acceptance survive a SIGKILL of its backend: a lower ballot is refused after the restart', async () => {
    const backend = await cluster.kill(0, 'backend');
    await backend.restart();
    const refused = await prepare(0, 'node2', ballot(2, 'node2'));
    assert.equal(refused.ok, false);
    assert.deepEqual([refused.promised, refused.accepted], [ballot(3, 'node3'), { ballot: ballot(2, 'node2'), proposal: held }]);
    assert.equal((await accept(0, 'node2', ballot(2, 'node2'), held)).ok, false);
    const again = await prepare(0, 'node2', ballot(4, 'node2'));
    assert.equal(again.ok, true);
    assert.deepEqual(again.accepted, { ballot: ballot(2, 'node2'), proposal: held });
  });

  test('a voter lacking H refuses after ECKD_CUT_ROUND_TIMEOUT_MS; one that receives H while it waits accepts', async () => {
    const started = performance.now();
    const lacking = await accept(1, 'node3', ballot(1, 'node3'), proposalOf([randomBytes(32).toString('hex')], 'node3'));
    const waited = performance.now() - started;
    assert.equal(lacking.ok, false);
    assert.match(lacking.error?.message ?? '', /does not hold the cut point/);
    assert.ok(waited >= roundTimeoutMs - 50 && waited < 5_000 - 100, `waited ${Math.round(waited)} ms: the setting, not the default`);
    assert.deepEqual(await storedStates(1), [], 'nothing accepted, nothing stored');

    // node2 is cut off while node3 writes: H is node3's heads, which node2 gets only once the routes are back.
    await cluster.partition([[1], [0, 2]]);
    try {
      arriving = proposalOf(await headsAfterPut(2, 2, 'agree/arriving'), 'node3');
      let answered = false;
      const answer = accept(1, 'node3', ballot(2, 'node3'), arriving).finally(() => (answered = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered, false, 'node2 waits for H');
      await cluster.heal();
      const reply = await answer;
      assert.equal(reply.ok, true, reply.error?.message);
      assert.deepEqual(reply.accepted, { ballot: ballot(2, 'node3'), proposal: arriving });
    } finally {
      await cluster.heal();
    }
    assert.deepEqual((await storedStates(1)).map((s) => [s.lineage, s.cut, s.promised_round, s.promised_member]), [[originalLineage, '1', '2', ids['node3']]]);
  });

  // No member proposes a value of its own (ECKD_CUT_WITH_PEERS is off), but the values the spec had voters accept are never
  // decided by the spec: the voters run a prepare themselves a round timeout or two later (§8.10, 1) and complete one of them.
  test('a value voters accepted without a decision is completed by their own prepare: every member switches to that cut', async () => {
    let replies: CutReply[] = [];
    let n = 0;
    await waitUntil(async () => {
      // Asked by another member: a member does not ask itself over NATS.
      replies = await Promise.all(names.map((_, i) => ask(i, names[(i + 1) % names.length]!, { op: 'status', status: {} })));
      if (replies.every((r) => String(r.cut) === '1') && new Set(replies.map((r) => r.lineage)).size === 1) return true;
      // A built switch waits for a batch with revisions.
      await Promise.all(clients.map((c, i) => c.put(`agree/after/${names[i]!}/${n++}`).value('v')));
      return false;
    }, 60_000, 'every member on cut 1');
    const decided = replies.map((r) => r.decided?.heads);
    assert.ok([held, arriving].some((v) => v && JSON.stringify(decided[0]) === JSON.stringify(v.heads)), 'the value decided is one a voter accepted');
    for (const [i, heads] of decided.entries()) assert.deepEqual(heads, decided[0], `${names[i]} heard the same decision`);
  });
});
