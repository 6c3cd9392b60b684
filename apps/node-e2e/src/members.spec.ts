// etcd's Cluster service on a single node: MemberList lists the node with
// its frontends' client URLs (docs/ARCHITECTURE.md §8.5); ids stay across a
// backend restart; MemberAdd answers `not capable` (a cluster is started
// with ECKD_INITIAL_CLUSTER), and the other changes what etcd answers a
// one-member cluster.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { etcdctl, startEtcd, waitUntil } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
before(async () => {
  // Announced often, so the backend hears its frontends soon after its own restart.
  f = await startNodeFixture({ frontends: 2, roleEnv: { frontend: { ECKD_FRONTEND_ANNOUNCE_INTERVAL_MS: '200' } } });
});
after(async () => {
  await f?.stop();
});

interface ListedMember {
  ID: number;
  name: string;
  peerURLs?: string[];
  clientURLs?: string[];
}

async function memberListJson(endpoint: string): Promise<{ header: { cluster_id: number; member_id: number; revision?: number; raft_term: number }; members: ListedMember[] }> {
  const r = await etcdctl(endpoint, ['member', 'list', '-w', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const urls = () => f.node.endpoints.map((e) => `http://${e}`).sort();

describe('MemberList on a single node', () => {
  test('etcdctl member list: the node with both frontends client URLs', async () => {
    for (const endpoint of f.node.endpoints) {
      const r = await etcdctl(endpoint, ['member', 'list']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, r.stdout);
      // etcdctl's simple format: ID, status, name, peer addrs, client addrs, is learner.
      const [id, status, name, peers, clients, learner] = lines[0]!.split(', ');
      assert.match(id!, /^[0-9a-f]{1,16}$/);
      assert.equal(status, 'started');
      assert.equal(name, 'e2e');
      assert.equal(peers, '');
      assert.equal(clients, urls().join(','));
      assert.equal(learner, 'false');
    }
  });

  test('-w json: header ids match the member, clientURLs sorted', async () => {
    const list = await memberListJson(f.node.endpoints[0]!);
    assert.equal(list.members.length, 1);
    const [m] = list.members;
    assert.equal(m!.ID, list.header.member_id);
    assert.ok(list.header.cluster_id !== 0 && list.header.raft_term > 0);
    assert.equal(list.header.revision, undefined, "etcd's Cluster responses carry no revision");
    assert.deepEqual(m!.clientURLs, urls());
  });

  test('the etcd3 client', async () => {
    const client = new Etcd3({ hosts: `http://${f.node.endpoints[0]!}` });
    try {
      const res = await client.cluster.memberList({});
      assert.equal(res.members.length, 1);
      assert.deepEqual([...res.members[0]!.clientURLs].sort(), urls());
      assert.equal(res.members[0]!.name, 'e2e');
    } finally {
      client.close();
    }
  });

  test('member and cluster ids are stable across a backend restart', async () => {
    const before = await memberListJson(f.node.endpoints[0]!);
    await f.node.processes.backend.restart();
    let after = before;
    await waitUntil(
      async () => {
        after = await memberListJson(f.node.endpoints[0]!).catch(() => before);
        return after !== before && after.members[0]?.clientURLs?.length === urls().length;
      },
      15_000,
      'the restarted backend to list both frontends',
    );
    assert.equal(after.header.cluster_id, before.header.cluster_id);
    assert.equal(after.members[0]!.ID, before.members[0]!.ID);
  });

  test('MemberAdd answers not capable; remove, promote and update answer as etcd answers one member', async () => {
    const endpoint = f.node.endpoints[0]!;
    const add = await etcdctl(endpoint, ['member', 'add', 'other', '--peer-urls=http://127.0.0.1:1']);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /etcdserver: not capable/);
    const self = (await etcdctl(endpoint, ['member', 'list'])).stdout.split(', ')[0]!;
    const expected: [string[], RegExp][] = [
      [['member', 'remove', '1234'], /etcdserver: member not found/],
      [['member', 'remove', self], /etcdserver: re-configuration failed due to not enough started members/],
      [['member', 'promote', self], /etcdserver: can only promote a learner member/],
      [['member', 'update', '1234', '--peer-urls=http://127.0.0.1:1'], /etcdserver: member not found/],
    ];
    for (const [args, error] of expected) {
      const r = await etcdctl(endpoint, args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, error);
    }
  });
});

describe('MemberList against etcd', () => {
  test('etcdctl prints the same fields and columns (ids aside); eckd has no peer URLs', { timeout: 60_000 }, async () => {
    const etcd = await startEtcd();
    try {
      const endpoint = etcd.endpoint.replace('http://', '');
      const fromEtcd = await memberListJson(endpoint);
      const fromEckd = await memberListJson(f.node.endpoints[0]!);
      assert.deepEqual(Object.keys(fromEckd).sort(), Object.keys(fromEtcd).sort());
      assert.deepEqual(Object.keys(fromEckd.header).sort(), Object.keys(fromEtcd.header).sort());
      // etcdctl leaves out empty lists: etcd's member has peerURLs, eckd's none.
      const fields = (m: ListedMember) => Object.keys(m).filter((k) => k !== 'peerURLs').sort();
      assert.deepEqual(fields(fromEckd.members[0]!), fields(fromEtcd.members[0]!));
      const columns = async (e: string) => (await etcdctl(e, ['member', 'list'])).stdout.trim().split(', ').length;
      assert.equal(await columns(f.node.endpoints[0]!), await columns(endpoint));
    } finally {
      await etcd.stop();
    }
  });
});
