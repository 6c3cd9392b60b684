import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { etcdctl } from './etcd.js';
import { natsDelivers, natsSilentWhileReachableVia } from './nats-probe.js';
import { testPgAdminUrl } from './test-database.js';

async function put(endpoints: readonly string[], key: string, value: string): Promise<void> {
  const res = await etcdctl(endpoints, ['put', key, value]);
  assert.equal(res.code, 0, res.stderr);
}

async function get(endpoints: readonly string[], key: string): Promise<string> {
  const res = await etcdctl(endpoints, ['get', key, '--print-value-only']);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function existingDatabases(names: readonly string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: testPgAdminUrl() });
  await client.connect();
  try {
    const res = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    return res.rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

test('a three-node cluster serves on every member, partitions its NATS routes for real, heals, and cleans up', async () => {
  const cluster: Cluster = await startCluster({ nodes: 3, jetstream: false });
  const clients: NatsConnection[] = [];
  const pids = cluster.processes().map((p) => p.pid);
  const databases = cluster.members.map((m) => m.database.name);
  try {
    assert.deepEqual(
      cluster.members.map((m) => m.nodeName),
      ['node1', 'node2', 'node3'],
    );
    assert.equal(new Set(databases).size, 3);
    // 3 nats-servers and, per node, a persister, a backend and a frontend.
    assert.equal(pids.length, 12);

    // Independent nodes today: each keeps its own value under the same key.
    for (const m of cluster.members) await put(m.endpoints, 'k', `from-${m.nodeName}`);
    for (const m of cluster.members) assert.equal(await get(m.endpoints, 'k'), `from-${m.nodeName}`);

    for (const m of cluster.members) clients.push(await connect({ servers: m.natsUrl, ignoreClusterUpdates: true }));
    const [c0, c1, c2] = clients;
    assert.ok(c0 && c1 && c2);

    await assert.rejects(cluster.partition([[0], [1]]), /leaves out member 2/);
    await assert.rejects(cluster.partition([[0, 1], [1, 2]]), /member 1 twice/);
    await assert.rejects(cluster.partition([[0, 3], [1, 2]]), /names member 3/);
    await cluster.partition([[0], [1, 2]]);
    assert.deepEqual(await cluster.nats.routedPeers(0), []);
    assert.deepEqual(await cluster.nats.routedPeers(1), [2]);
    assert.ok(await natsDelivers(c1, c2), 'delivery 1 → 2 inside a side');
    assert.ok(await natsSilentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 across the partition');
    // A member cut off from the others still serves its clients.
    await put(cluster.member(0).endpoints, 'during', 'partition');
    assert.equal(await get(cluster.member(0).endpoints, 'during'), 'partition');

    await cluster.heal();
    for (let i = 0; i < 3; i++) assert.equal((await cluster.nats.routedPeers(i)).length, 2);
    assert.ok(await natsDelivers(c0, c2), 'delivery 0 → 2 after the heal');

    const backend = await cluster.kill(1, 'backend');
    assert.equal(backend.running, false);
    await backend.restart();
    assert.equal(await get(cluster.member(1).endpoints, 'k'), 'from-node2');
    pids.push(backend.pid);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
  assert.deepEqual(
    cluster.processes().filter((p) => p.running).map((p) => p.name),
    [],
  );
  assert.deepEqual(pids.filter(alive), []);
  assert.deepEqual(await existingDatabases(databases), []);
});
