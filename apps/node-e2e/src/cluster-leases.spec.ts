// Leases across two members (docs/ARCHITECTURE.md §8.6): a lease belongs to
// the member that granted it. Its keys replicate with its lease id; only the
// owner expires or revokes it, also after a peer restarts; lease operations
// on another member do not know it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const members = 2;
/** The bound for a change to reach every member (pushes take milliseconds, sync rounds run every 200 ms). */
const replicatedWithinMs = 15_000;
const leaseTtlSeconds = 5;

let cluster: Cluster;
let clients: Etcd3[] = [];

before(async () => {
  const names = Array.from({ length: members }, (_, i) => `node${i + 1}`);
  cluster = await startCluster({ nodes: members, jetstream: false, nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }) });
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const client = (i: number): Etcd3 => clients[i]!;

/** `key=lease id` of every key under the prefix on member i, in key order. */
async function leasedKeys(i: number, prefix: string): Promise<string> {
  const { kvs } = await client(i).getAll().prefix(prefix).exec();
  return kvs.map((kv) => `${kv.key.toString()}=${kv.lease}`).join('\n');
}

async function everywhere(prefix: string, expected: string): Promise<void> {
  await waitUntil(
    async () => (await Promise.all(clients.map((_, i) => leasedKeys(i, prefix)))).every((s) => s === expected),
    replicatedWithinMs,
    `every member to hold ${JSON.stringify(expected)} under ${prefix}`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leases between two members', () => {
  test("member 0's lease outlives member 1's restart while kept alive; its revoke deletes the keys everywhere", { timeout: 120_000 }, async () => {
    // Kept alive by the client (every TTL/3) on member 0, the owner.
    const lease = client(0).lease(leaseTtlSeconds);
    const id = await lease.grant();
    await lease.put('lo/a').value('1');
    await lease.put('lo/b').value('2');
    const attached = `lo/a=${id}\nlo/b=${id}`;
    await everywhere('lo/', attached);

    // Member 1 does not own the lease: it lists it not, cannot attach to it, and refuses its id for a new grant.
    assert.deepEqual((await client(0).leaseClient.leaseLeases()).leases.map((l) => l.ID), [id]);
    assert.deepEqual((await client(1).leaseClient.leaseLeases()).leases, []);
    await assert.rejects(client(1).kv.put({ key: Buffer.from('lo/c'), value: Buffer.from('3'), lease: id }), /requested lease not found/);
    await assert.rejects(client(1).leaseClient.leaseGrant({ ID: id, TTL: 10 }), /lease already exists/);

    const backend = await cluster.kill(1, 'backend');
    await backend.restart();
    // Member 1 answers writes again: it has recovered the document, lease record included.
    await client(1).put('lo-restarted').value('x');
    await sleep(leaseTtlSeconds * 1000 + 3_000);
    assert.equal(await leasedKeys(1, 'lo/'), attached, 'member 1 expired a lease it does not own');
    assert.equal(await leasedKeys(0, 'lo/'), attached);
    assert.deepEqual((await client(1).leaseClient.leaseLeases()).leases, [], 'member 1 restored a peer lease');

    await lease.revoke();
    await everywhere('lo/', '');
  });
});
