// MemberAdd on a running two-member cluster holding data, with the real
// etcdctl (docs/ARCHITECTURE.md §8.5): `etcdctl member add --learner` is
// answered with the new member (no name until it starts) and the settings
// etcdctl prints; the new record replicates to the other member; the new
// node started with those settings (ECKD_INITIAL_CLUSTER_STATE=existing,
// ECKD_JOIN, ECKD_PEER_URL) takes the record's id, starts from its join
// member's snapshot (that member counts one served, the node one taken:
// not the whole history through sync rounds), converges to the same keys and
// values, its writes replicate, it is listed as a started learner, `member
// promote` makes it a voter once it is in sync, and its backend restarted
// loads from its own Postgres (no second snapshot), also while its join
// member is down (its writes and the other member's converge); a peer URL
// already used and a malformed one are refused with etcd's errors; two
// adds made concurrently on the two members never both take one band (one
// is refused, or both succeed with their own records); a voter that does
// not answer makes the add fail with `unhealthy cluster`, adding nothing.
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { IRequestOp } from 'etcd3';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import { etcdctlMemberList } from './member-list.js';
import type { ListedMember } from './member-list.js';
import type { Cluster } from '@eckd/testing';
import { backendCounter } from './backend-counter.js';

const names = ['node1', 'node2'];
/** A MemberAdd's voters get half of it (§8.5): generous, the machine is shared. */
const requestTimeoutMs = 10_000;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms; this is the bound for a change to reach a member. */
const replicatedWithinMs = 15_000;
/** Keys the first two members hold before the add: the 100,000 (catch-up from a snapshot, not history); ECKD_MEMBER_ADD_KEYS for another size (docs/BENCHMARKS.md). */
const keys = Number(process.env['ECKD_MEMBER_ADD_KEYS'] ?? 100_000);
/** Puts per Txn while filling (etcd's --max-txn-ops default is 128), and Txns in flight. */
const putsPerTxn = 100;
const txnsInFlight = 4;
/** ECKD_SNAPSHOT_ATTEMPTS of the joiner; 0: no snapshot, the whole history through sync rounds (the figure before, docs/BENCHMARKS.md). */
const snapshotAttempts = process.env['ECKD_MEMBER_ADD_SNAPSHOT_ATTEMPTS'] ?? '5';
/** Snapshots the joiner takes. */
const snapshots = snapshotAttempts === '0' ? 0 : 1;
/** The joiner starts from a snapshot, then sync rounds bring what came after: generous on a shared machine. */
const caughtUpWithinMs = 60_000 + keys * 5;
/** Never bound: eckd members replicate over NATS, a peer URL only names the record. */
const newPeerUrl = 'http://node3.invalid:2380';

let cluster: Cluster;
const clients: Etcd3[] = [];
/** The settings `etcdctl member add` printed, for the third node (started later). */
let joinEnv: Record<string, string> = {};
/** Snapshots node1 had served once node3 joined. */
let servedAfterJoin = 0;
/** The added member's id (hex, as etcdctl prints it). */
let addedId = '';

before(async () => {
  cluster = await startCluster({
    nodes: names.length + 1,
    startLater: 1,
    jetstream: false,
    // The joiner is ready once it stored the snapshot and built its key index: O(keys).
    readyTimeoutMs: 30_000 + keys,
    env: { ECKD_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    nodeEnv: (i) => (i < names.length ? { ECKD_INITIAL_CLUSTER: names.join(',') } : joinEnv),
  });
  for (const m of cluster.members) clients.push(new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
}, { timeout: 120_000 });

/** A hash of every key and value under `prefix` on member `i`, in key order. */
async function stateOf(i: number, prefix: string): Promise<string> {
  const r = await etcdctl(endpoint(i), ['get', '--prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  return createHash('sha256').update(r.stdout).digest('hex');
}

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.member(i).endpoints[0]!;

/** Waits until member `i` holds `count` keys under `prefix`; returns its state (stateOf). */
async function waitForKeys(i: number, prefix: string, count: number): Promise<string> {
  const keysHeld = async () => (await etcdctl(endpoint(i), ['get', '--prefix', '--keys-only', prefix])).stdout.split('\n').filter((l) => l !== '').length;
  await waitUntil(async () => (await keysHeld()) === count, replicatedWithinMs, `member ${i} to hold ${count} keys under ${prefix}`);
  return stateOf(i, prefix);
}

/** `etcdctl member list` on member `i`. */
const memberList = (i: number) => etcdctlMemberList(endpoint(i));

describe('member add', () => {
  test('etcdctl member add --learner: the new member and the settings to start it; the record replicates', async () => {
    // Txns of many puts, alternating between the two members, so 100,000 keys load in seconds.
    const fill = async (first: number) => {
      const success: IRequestOp[] = [];
      for (let k = first; k < Math.min(first + putsPerTxn, keys); k++) success.push({ request_put: { key: Buffer.from(`data/k${String(k).padStart(6, '0')}`), value: Buffer.from(`v${k}`) } });
      await clients[(first / putsPerTxn) % 2]!.kv.txn({ success });
    };
    for (let first = 0; first < keys; first += putsPerTxn * txnsInFlight) {
      await Promise.all(Array.from({ length: txnsInFlight }, (_, t) => first + t * putsPerTxn).filter((f) => f < keys).map(fill));
    }
    const url = newPeerUrl;
    // etcdctl's own 5 s would end first on a busy machine: the member's deadline is the request timeout.
    const r = await etcdctl(endpoint(0), ['member', 'add', 'node3', `--peer-urls=${url}`, '--learner', `--command-timeout=${requestTimeoutMs / 1000 + 5}s`]);
    assert.equal(r.code, 0, r.stderr);
    const id = /Member +([0-9a-f]+) added to cluster/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, /ETCD_NAME="node3"/);
    // etcdctl names the members that have peer URLs (eckd's started members have none) and the new one.
    assert.match(r.stdout, new RegExp(`ETCD_INITIAL_CLUSTER=".*node3=${url}.*"`));
    assert.match(r.stdout, new RegExp(`ETCD_INITIAL_ADVERTISE_PEER_URLS="${url}"`));
    assert.match(r.stdout, /ETCD_INITIAL_CLUSTER_STATE="existing"/);
    for (const i of [0, 1]) {
      await waitUntil(async () => (await memberList(i)).some((m) => m.id === id), replicatedWithinMs, `node${i + 1} to list the added member`);
      const added: ListedMember = (await memberList(i)).find((m) => m.id === id)!;
      assert.deepEqual([added.status, added.name, added.peerUrls, added.learner], ['unstarted', '', url, 'true']);
    }
    addedId = id;
    const printed = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(r.stdout)![1]!;
    joinEnv = { ECKD_INITIAL_CLUSTER_STATE: printed('ETCD_INITIAL_CLUSTER_STATE'), ECKD_PEER_URL: printed('ETCD_INITIAL_ADVERTISE_PEER_URLS'), ECKD_JOIN: 'node1', ECKD_SNAPSHOT_ATTEMPTS: snapshotAttempts };
  });

  test('the new node started with those settings joins: same keys and values, its writes replicate, listed as learner, then promoted', { timeout: 180_000 + keys * 10 }, async () => {
    const expected = await stateOf(0, 'data/');
    await waitUntil(async () => (await stateOf(1, 'data/')) === expected, caughtUpWithinMs, 'node2 to hold every key');
    // node1 and node2, started together, may have taken each other's (small) snapshots.
    const servedBefore = await backendCounter(cluster.member(0), 'eckd_peer_snapshots_served_total');
    const startedAt = Date.now();
    await cluster.startMember(2);
    const ready = Date.now();
    await waitUntil(async () => (await stateOf(2, 'data/')) === expected, caughtUpWithinMs, 'node3 to hold every key');
    console.log(`joined member: ${keys} keys, started in ${ready - startedAt} ms, caught up ${Date.now() - ready} ms after it was ready`);
    // From node1's snapshot, not from the whole history through sync rounds.
    servedAfterJoin = await backendCounter(cluster.member(0), 'eckd_peer_snapshots_served_total');
    assert.equal(servedAfterJoin - servedBefore, snapshots);
    assert.equal(await backendCounter(cluster.member(2), 'eckd_peer_snapshots_taken_total'), snapshots);
    const put = await etcdctl(endpoint(2), ['put', 'from-node3', 'joined']);
    assert.equal(put.code, 0, put.stderr);
    for (const i of [0, 1]) {
      await waitUntil(async () => (await etcdctl(endpoint(i), ['get', 'from-node3', '--print-value-only'])).stdout.trim() === 'joined', replicatedWithinMs, `node${i + 1} to hold node3's write`);
    }
    for (const i of [0, 1, 2]) {
      await waitUntil(async () => (await memberList(i)).find((m) => m.id === addedId)?.name === 'node3', replicatedWithinMs, `node${i + 1} to list node3 by name`);
      const listed = (await memberList(i)).find((m) => m.id === addedId)!;
      assert.deepEqual([listed.status, listed.learner], ['started', 'true']);
    }
    // In sync once node3 stored node1's last change (its PeerStored reaches node1).
    await waitUntil(async () => (await etcdctl(endpoint(0), ['member', 'promote', addedId])).code === 0, replicatedWithinMs, 'member promote of node3 to succeed');
    for (const i of [0, 1, 2]) {
      await waitUntil(async () => (await memberList(i)).find((m) => m.id === addedId)?.learner === 'false', replicatedWithinMs, `node${i + 1} to list node3 as a voter`);
    }
  });

  test('the joined node restarted loads from its own Postgres: no second snapshot, same keys', async () => {
    const backend = await cluster.kill(2, 'backend');
    await backend.restart();
    const expected = await stateOf(0, 'data/');
    await waitUntil(async () => (await stateOf(2, 'data/').catch(() => '')) === expected, caughtUpWithinMs, 'node3 to serve every key again');
    assert.equal(await backendCounter(cluster.member(0), 'eckd_peer_snapshots_served_total'), servedAfterJoin);
    assert.equal(await backendCounter(cluster.member(2), 'eckd_peer_snapshots_taken_total'), 0);
  });

  test('with its join member down, the joined node restarts from its own Postgres; its writes and the other member\'s converge', async () => {
    // node1's backend answers joins: down, nobody can answer node3's.
    const join = await cluster.kill(0, 'backend');
    try {
      const backend = await cluster.kill(2, 'backend');
      await backend.restart();
      // node3's backend has just restarted: its frontend serves once the recovery (100,000 keys) is done, so its put is retried until then.
      await waitUntil(async () => (await etcdctl(endpoint(2), ['put', 'alone/from-node3', 'from-node3'])).code === 0, caughtUpWithinMs, 'node3 to take a put after its restart');
      const put = await etcdctl(endpoint(1), ['put', 'alone/from-node2', 'from-node2']);
      assert.equal(put.code, 0, put.stderr);
      const both = await waitForKeys(2, 'alone/', 2);
      await waitUntil(async () => (await stateOf(1, 'alone/')) === both, replicatedWithinMs, 'node2 and node3 to hold both writes');
    } finally {
      await join.restart();
    }
    const expected = await stateOf(2, 'alone/');
    await waitUntil(async () => (await stateOf(0, 'alone/').catch(() => '')) === expected, replicatedWithinMs, 'node1 to hold both writes once back');
  });

  test('a peer URL already used or malformed is refused with etcd\'s error, adding nothing', async () => {
    const before = await memberList(1);
    const taken = await etcdctl(endpoint(1), ['member', 'add', 'node4', `--peer-urls=${newPeerUrl}`]);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /etcdserver: Peer URLs already exists/);
    const bad = await etcdctl(endpoint(1), ['member', 'add', 'node4', '--peer-urls=http://127.0.0.1:1/path']);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(await memberList(1), before);
  });

  test('two concurrent adds on the two members never share a band: one is refused or both are added', async () => {
    const results = await Promise.all(
      [0, 1].map((i) => etcdctl(endpoint(i), ['member', 'add', `racer${i}`, `--peer-urls=http://racer${i}.invalid:2380`])),
    );
    const added = results.filter((r) => r.code === 0);
    for (const r of results) if (r.code !== 0) assert.match(r.stderr, /etcdserver: unhealthy cluster/);
    const ids = added.map((r) => /Member +([0-9a-f]+) added/.exec(r.stdout)![1]!);
    assert.equal(new Set(ids).size, ids.length);
    for (const i of [0, 1, 2]) {
      await waitUntil(async () => {
        const listed = new Set((await memberList(i)).map((m) => m.id));
        return ids.every((id) => listed.has(id));
      }, replicatedWithinMs, 'every added member listed everywhere');
    }
    // A refused add gave its band back: an add now succeeds.
    const again = await etcdctl(endpoint(0), ['member', 'add', 'after-race', '--peer-urls=http://after-race.invalid:2380']);
    assert.equal(again.code, 0, again.stderr);
  });
});
