// Conflicts made visible (docs/ARCHITECTURE.md §8.2): after a partition in
// which two members wrote the same keys, every member lists the same losers
// through eckd's Conflicts service, and eckdctl prints them; a single node
// lists none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { ConflictListRequest, ConflictListResponse__Output } from '@eckd/etcd-proto';
import { repoRoot, startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

const eckdctl = join(repoRoot(), 'tools/eckdctl/dist/main.js');
/** Pushes arrive within milliseconds and sync rounds run every 200 ms (as in cluster-replication.spec). */
const replicatedWithinMs = 30_000;

async function listConflicts(endpoint: string, request: ConflictListRequest = {}): Promise<ConflictListResponse__Output> {
  const client = new (loadEtcdGrpc().grpcObject.eckdserverpb.Conflicts)(endpoint, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => client.List(request, (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res))));
  } finally {
    client.close();
  }
}

/** `key kind winner>loser` per conflict, the way every member must agree on them. */
const summary = (res: ConflictListResponse__Output): string[] =>
  res.conflicts.map((c) => `${c.key.toString()} ${c.kind} ${c.winner?.member_id}>${c.loser?.member_id}`).sort();

before(() => {
  execFileSync(process.execPath, ['tools/scripts/build-project.mjs', 'tools/eckdctl'], { cwd: repoRoot(), stdio: 'pipe' });
});

describe('conflicts between two members', () => {
  let cluster: Cluster;
  let clients: Etcd3[] = [];

  before(async () => {
    cluster = await startCluster({ nodes: 2, jetstream: false, nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: 'node1,node2' }) });
    clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  }, { timeout: 120_000 });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  const endpoint = (i: number) => cluster.member(i).endpoints[0]!;
  const value = async (i: number, key: string) => (await clients[i]!.get(key).string()) ?? '<none>';

  test('a partition with writes to the same keys on both sides: every member lists the same losers, eckdctl prints them', { timeout: 120_000 }, async () => {
    await clients[0]!.put('pd').value('before');
    await waitUntil(async () => (await value(1, 'pd')) === 'before', replicatedWithinMs, 'pd on member 1');
    assert.deepEqual((await listConflicts(endpoint(0))).conflicts, [], 'no conflict before the partition');

    await cluster.partition([[0], [1]]);
    try {
      // The later write wins (the higher transaction tag): member 1 writes first on both keys.
      await clients[1]!.put('pp').value('from-1');
      await clients[1]!.delete().key('pd');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await clients[0]!.put('pp').value('from-0');
      await clients[0]!.put('pd').value('from-0');
    } finally {
      await cluster.heal();
    }
    await waitUntil(
      async () => (await value(1, 'pp')) === 'from-0' && (await value(1, 'pd')) === 'from-0' && (await value(0, 'pp')) === 'from-0',
      replicatedWithinMs,
      'both members to hold member 0 values',
    );

    const memberIds = await Promise.all([0, 1].map(async (i) => (await listConflicts(endpoint(i))).header!.member_id));
    const expected = [`pd put/delete ${memberIds[0]}>${memberIds[1]}`, `pp put/put ${memberIds[0]}>${memberIds[1]}`];
    let listings: ConflictListResponse__Output[] = [];
    await waitUntil(
      async () => {
        listings = await Promise.all([0, 1].map((i) => listConflicts(endpoint(i))));
        return listings.every((l) => summary(l).join() === expected.join());
      },
      replicatedWithinMs,
      'both members to list both conflicts',
    );
    for (const [i, listing] of listings.entries()) {
      assert.equal(listing.header?.member_id, memberIds[i]);
      assert.deepEqual(listing.total_by_kind, { 'put/put': '1', 'put/delete': '1', 'delete/put': '0' });
      const newestFirst = listing.conflicts.map((c) => Number(c.detected_revision));
      assert.deepEqual(newestFirst, [...newestFirst].sort((a, b) => b - a), 'newest first');
      const pp = listing.conflicts.find((c) => c.key.toString() === 'pp')!;
      assert.ok(Number(pp.winner?.origin_revision) > 0 && Number(pp.loser?.origin_revision) > 0, 'both sides name their origin revision');
      assert.ok(BigInt(pp.winner!.tag) > BigInt(pp.loser!.tag), 'the winner has the higher tag');
    }
    assert.deepEqual(summary(await listConflicts(endpoint(1), { key: Buffer.from('pp') })), [expected[1]]);
    assert.deepEqual(summary(await listConflicts(endpoint(1), { kind: 'put/delete' })), [expected[0]]);
    assert.equal((await listConflicts(endpoint(1), { limit: 1 })).conflicts.length, 1);
    await assert.rejects(listConflicts(endpoint(1), { kind: 'both' }), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT);

    const table = execFileSync(process.execPath, [eckdctl, 'conflicts', '--endpoints', endpoint(1)]).toString();
    const hex = (id: string) => BigInt(id).toString(16);
    assert.match(table, new RegExp(`\\| pp +\\| put/put +\\| ${hex(memberIds[0]!)} +\\| \\d+ +\\| ${hex(memberIds[1]!)} `));
    assert.match(table, new RegExp(`\\| pd +\\| put/delete \\| ${hex(memberIds[0]!)} `));
    assert.match(table, /total by kind: delete\/put=0 put\/delete=1 put\/put=1/);
    const json = JSON.parse(execFileSync(process.execPath, [eckdctl, 'conflicts', `--endpoints=${endpoint(0)}`, '--key', 'pd', '-w', 'json']).toString()) as {
      conflicts: { key: string; kind: string }[];
    };
    assert.deepEqual(json.conflicts.map((c) => [Buffer.from(c.key, 'base64').toString(), c.kind]), [['pd', 'put/delete']]);
  });
});

describe('conflicts on a single node', () => {
  let fixture: NodeFixture;
  before(async () => {
    fixture = await startNodeFixture();
  }, { timeout: 60_000 });
  after(() => fixture?.stop());

  test('lists none', async () => {
    const listing = await listConflicts(fixture.node.endpoints[0]!);
    assert.deepEqual(listing.conflicts, []);
    assert.deepEqual(listing.total_by_kind, { 'put/put': '0', 'put/delete': '0', 'delete/put': '0' });
    assert.ok(Number(listing.header?.revision) >= 1);
    assert.match(execFileSync(process.execPath, [eckdctl, 'conflicts', '--endpoints', fixture.node.endpoints[0]!]).toString(), /total by kind: delete\/put=0/);
  });
});
