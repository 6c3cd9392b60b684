// A member that starts after its peers hold data (libs/testing's
// `startLater`, `startMember`): its database is empty, so it starts from a
// peer's snapshot (the snapshot join, docs/ARCHITECTURE.md §8.5; one peer
// served it, it took one) and the sync rounds bring what came after; it
// converges to the same keys and values; then its writes replicate. Prints
// the catch-up time (docs/BENCHMARKS.md, "Several members").
// ECKD_LATE_MEMBER_SNAPSHOT_ATTEMPTS=0 turns the snapshot off (the member
// takes the whole history through sync rounds), for the figure before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { backendCounter } from './backend-counter.js';

const members = 3;
/** Keys the first two members hold before the third starts; ECKD_LATE_MEMBER_KEYS for a measurement (docs/BENCHMARKS.md). */
const keys = Number(process.env['ECKD_LATE_MEMBER_KEYS'] ?? 2_000);
/** ECKD_SNAPSHOT_ATTEMPTS of the late member; 0: no snapshot, the whole history through sync rounds. */
const snapshotAttempts = process.env['ECKD_LATE_MEMBER_SNAPSHOT_ATTEMPTS'] ?? '5';
/** Generous: without a snapshot the late member replays every change of both peers on a shared machine. */
const catchUpWithinMs = 90_000 + keys * 5;
const replicatedWithinMs = 15_000;

let cluster: Cluster;
const clients: Etcd3[] = [];

before(async () => {
  const names = Array.from({ length: members }, (_, i) => `node${i + 1}`);
  cluster = await startCluster({ nodes: members, startLater: 1, jetstream: false, readyTimeoutMs: 30_000 + keys, nodeEnv: (i) => ({ ECKD_INITIAL_CLUSTER: names.join(','), ...(i === members - 1 ? { ECKD_SNAPSHOT_ATTEMPTS: snapshotAttempts } : {}) }) });
  for (const m of cluster.members) clients.push(new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

/** A hash of keys and values, in key order. */
function hashOf(entries: [string, string][]): string {
  const lines = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The hash of every key and value under `prefix` on member `i`. */
async function stateOf(i: number, prefix: string): Promise<string> {
  return hashOf(Object.entries(await clients[i]!.getAll().prefix(prefix).strings()));
}

describe('a member started later', () => {
  test("starts from a peer's snapshot, converges, and its writes replicate", { timeout: 240_000 + keys * 10 }, async () => {
    const written: [string, string][] = [];
    for (let i = 0; i < keys; i += 100) {
      const batch = Array.from({ length: Math.min(100, keys - i) }, (_, j): [string, string] => [`late/k${String(i + j).padStart(6, '0')}`, `v${i + j}`]);
      await Promise.all(batch.map(([k, v], j) => clients[(i + j) % 2]!.put(k).value(v)));
      written.push(...batch);
    }
    assert.equal(new Set(written.map(([k]) => k)).size, keys);
    const expected = hashOf(written);
    for (const i of [0, 1]) await waitUntil(async () => (await stateOf(i, 'late/')) === expected, catchUpWithinMs, `node${i + 1} to hold every key`);

    // Members started together may have taken each other's (small) snapshots already.
    const servedBy = async () => (await backendCounter(cluster.member(0), 'eckd_peer_snapshots_served_total')) + (await backendCounter(cluster.member(1), 'eckd_peer_snapshots_served_total'));
    const servedBefore = await servedBy();
    const startedAt = Date.now();
    const late = await cluster.startMember(2);
    const client = new Etcd3({ hosts: `http://${late.endpoints[0]!}` });
    clients.push(client);
    const ready = Date.now();
    await waitUntil(async () => (await stateOf(2, 'late/')) === expected, catchUpWithinMs, 'the late member to hold every key');
    const caughtUp = Date.now();
    console.log(`late member: ${keys} keys, started in ${ready - startedAt} ms, caught up ${caughtUp - ready} ms after it was ready`);
    assert.deepEqual([(await servedBy()) - servedBefore, await backendCounter(cluster.member(2), 'eckd_peer_snapshots_taken_total')], snapshotAttempts === '0' ? [0, 0] : [1, 1]);

    await client.put('late/from-node3').value('1');
    for (const i of [0, 1]) await waitUntil(async () => (await clients[i]!.get('late/from-node3').string()) === '1', replicatedWithinMs, `node${i + 1} to hold the late member's write`);
  });
});
