// Membership changes on three members with the real etcdctl
// (docs/ARCHITECTURE.md §8.5): MemberUpdate's peer URLs replicate,
// MemberPromote refuses a voter, a member removes itself as etcd allows;
// from then on its peers neither send to it nor accept from it, it does not
// count for the external factor, its leases are revoked (by itself, or by
// the member that removes it), it stays removed across its backend's
// restart (its id is not reused), a second removal answers `member not
// found`, and the last voter cannot be removed. MemberAdd: cluster-member-add.spec.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, PutResponse__Output } from '@eckd/etcd-proto';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import { etcdctlMemberList } from './member-list.js';
import type { ListedMember } from './member-list.js';
import type { Cluster } from '@eckd/testing';

const members = 3;
const requestTimeoutMs = 3_000;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms; this is the bound for a change to reach a member. */
const replicatedWithinMs = 15_000;
/** Many sync intervals (200 ms): long enough for a change that would replicate to have done so. */
const quietMs = 3_000;

let cluster: Cluster;
let clients: Etcd3[] = [];
let kv: KVClient[] = [];

before(async () => {
  const names = Array.from({ length: members }, (_, i) => `node${i + 1}`);
  cluster = await startCluster({
    nodes: members,
    jetstream: false,
    env: { ECKD_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }),
  });
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  kv = cluster.members.map((m) => new etcdserverpb.KV(m.endpoints[0]!, grpc.credentials.createInsecure()));
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  for (const c of kv) c.close();
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.member(i).endpoints[0]!;

/** `etcdctl member list` on member `i`, sorted by name. */
async function memberList(i: number): Promise<ListedMember[]> {
  return (await etcdctlMemberList(endpoint(i))).sort((a, b) => a.name.localeCompare(b.name));
}

let ids: Record<string, string> = {};

async function get(i: number, key: string): Promise<string | null> {
  return clients[i]!.get(key).string();
}

/** One Put on member `i` with the external factor in its metadata, no retries. */
function putWithExternalFactor(i: number, key: string, external: number): Promise<number> {
  const metadata = new grpc.Metadata();
  metadata.set('eckd-external-factor', String(external));
  return new Promise((resolve, reject) =>
    kv[i]!.Put({ key: Buffer.from(key), value: Buffer.from('v') }, metadata, { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res?: PutResponse__Output) =>
      err || !res ? reject(err ?? new Error('no response')) : resolve(Number(res.header!.revision)),
    ),
  );
}

describe('membership changes', () => {
  test('member list: three voters, the same ids on every member', async () => {
    const lists = await Promise.all([0, 1, 2].map(memberList));
    for (const list of lists) assert.deepEqual(list.map((m) => [m.name, m.learner]), [['node1', 'false'], ['node2', 'false'], ['node3', 'false']]);
    assert.deepEqual(lists[1], lists[0]);
    ids = Object.fromEntries(lists[0]!.map((m) => [m.name, m.id]));
  });

  test('member update: the peer URLs replicate; another member\'s URLs are refused', async () => {
    const url = 'http://127.0.0.1:12380';
    const r = await etcdctl(endpoint(0), ['member', 'update', ids['node2']!, `--peer-urls=${url}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Member +${ids['node2']} updated in cluster`));
    await waitUntil(async () => (await memberList(2)).find((m) => m.name === 'node2')?.peerUrls === url, replicatedWithinMs, 'node3 to list node2\'s new peer URL');
    const taken = await etcdctl(endpoint(2), ['member', 'update', ids['node3']!, `--peer-urls=${url}`]);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /etcdserver: Peer URLs already exists/);
    const unknown = await etcdctl(endpoint(0), ['member', 'update', '1234', '--peer-urls=http://127.0.0.1:1']);
    assert.match(unknown.stderr, /etcdserver: member not found/);
  });

  test('member promote of a voter: can only promote a learner member', async () => {
    const r = await etcdctl(endpoint(0), ['member', 'promote', ids['node2']!]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /etcdserver: can only promote a learner member/);
  });

  test('a member removes itself: its peers list it no more, its leases are revoked, and a second removal is member not found', async () => {
    await clients[0]!.put('before').value('1');
    await waitUntil(async () => (await get(2, 'before')) === '1', replicatedWithinMs, 'node3 to hold a write made before its removal');
    const lease = clients[2]!.lease(60, { autoKeepAlive: false });
    await lease.put('leased-by-node3').value('1');
    await waitUntil(async () => (await get(0, 'leased-by-node3')) === '1', replicatedWithinMs, 'node1 to hold node3\'s leased key');
    const r = await etcdctl(endpoint(2), ['member', 'remove', ids['node3']!]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Member +${ids['node3']} removed from cluster`));
    for (const i of [0, 1]) {
      await waitUntil(async () => (await memberList(i)).length === 2, replicatedWithinMs, `node${i + 1} to list two members`);
      assert.deepEqual((await memberList(i)).map((m) => m.name), ['node1', 'node2']);
      // The removal's change carries the revoke of node3's lease.
      await waitUntil(async () => (await get(i, 'leased-by-node3')) === null, replicatedWithinMs, `node${i + 1} to lose node3's leased key`);
    }
    for (const i of [0, 1, 2]) {
      const again = await etcdctl(endpoint(i), ['member', 'remove', ids['node3']!]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, i === 2 ? /etcdserver: server stopped/ : /etcdserver: member not found/);
    }
  });

  test('the removed member neither receives nor sends changes', async () => {
    await clients[0]!.put('after').value('from-node1');
    await clients[2]!.put('stray').value('from-node3');
    await waitUntil(async () => (await get(1, 'after')) === 'from-node1', replicatedWithinMs, 'node2 to hold node1\'s write');
    await new Promise((r) => setTimeout(r, quietMs));
    assert.equal(await get(2, 'after'), null, 'node3 got a write made after its removal');
    assert.equal(await get(0, 'stray'), null, 'node1 accepted a write of the removed member');
    assert.equal(await get(1, 'stray'), null, 'node2 accepted a write of the removed member');
  });

  test('the removed member does not count for the external factor', async () => {
    assert.ok((await putWithExternalFactor(0, 'factor-1', 1)) > 0);
    await assert.rejects(putWithExternalFactor(0, 'factor-2', 2), /etcdserver: request timed out/);
  });

  test('it stays removed after its backend restarts', async () => {
    const backend = await cluster.kill(2, 'backend');
    await backend.restart();
    await waitUntil(async () => (await get(2, 'stray').catch(() => undefined)) === 'from-node3', 30_000, 'node3 to serve again');
    await clients[0]!.put('after-restart').value('1');
    await waitUntil(async () => (await get(1, 'after-restart')) === '1', replicatedWithinMs, 'node2 to hold node1\'s write');
    await new Promise((r) => setTimeout(r, quietMs));
    assert.equal(await get(2, 'after-restart'), null);
    assert.deepEqual((await memberList(0)).map((m) => m.name), ['node1', 'node2']);
  });

  test('removing another member revokes its leases; the last voter cannot be removed', async () => {
    const lease = clients[1]!.lease(60, { autoKeepAlive: false });
    await lease.put('leased-by-node2').value('1');
    await waitUntil(async () => (await get(0, 'leased-by-node2')) === '1', replicatedWithinMs, 'node1 to hold node2\'s leased key');
    const r = await etcdctl(endpoint(0), ['member', 'remove', ids['node2']!]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await get(0, 'leased-by-node2'), null, 'the member executing the removal revokes the removed member\'s leases');
    const last = await etcdctl(endpoint(0), ['member', 'remove', ids['node1']!]);
    assert.notEqual(last.code, 0);
    assert.match(last.stderr, /etcdserver: re-configuration failed due to not enough started members/);
  });
});
