// Leases across two members, with the real etcdctl (docs/ARCHITECTURE.md
// §8.6): a lease granted on member 0 is kept alive, asked about and revoked
// through member 1 (forwarded to member 0, its owner), keys put through
// member 1 with it are deleted on both members by its expiry or revoke,
// LeaseLeases lists both members' leases; with the owner's backend down the
// forwarded operations answer `request timed out`; a key put with the lease
// on member 1 while member 0 expired it (a partition between them) is
// deleted on both members once they meet again. Also prints TimeToLive
// p50 and p99 asked of the owner and through the other member (etcd3
// client; docs/BENCHMARKS.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const names = ['node1', 'node2'];
const leaseTtlSeconds = 6;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms; this is the bound for any change to reach every member. */
const replicatedWithinMs = 15_000;
/** A lease's expiry: its TTL, the 500 ms expiry tick and the replication of the deletions. */
const expiredWithinMs = leaseTtlSeconds * 1000 + replicatedWithinMs;

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({ nodes: names.length, jetstream: false, nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }) });
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.member(i).endpoints[0]!;

/** etcdctl on member `i`; fails the test unless it succeeds. */
async function ctl(i: number, args: string[]): Promise<string> {
  const r = await etcdctl(endpoint(i), args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} on member ${i}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A lease granted on member `i`; its id in hex, as etcdctl prints and takes it. */
async function grant(i: number, ttlSeconds = leaseTtlSeconds): Promise<string> {
  const out = await ctl(i, ['lease', 'grant', String(ttlSeconds)]);
  return /^lease ([0-9a-f]+) granted/.exec(out)![1]!;
}

/** The keys under `prefix` on member `i`, space-separated, in key order. */
async function keysOn(i: number, prefix: string): Promise<string> {
  return (await ctl(i, ['get', '--prefix', '--keys-only', prefix])).split('\n').filter((l) => l !== '').join(' ');
}

async function onBoth(prefix: string, expected: string): Promise<void> {
  await waitUntil(async () => (await keysOn(0, prefix)) === expected && (await keysOn(1, prefix)) === expected, expiredWithinMs, `both members to hold ${JSON.stringify(expected)} under ${prefix}`);
}

/** A lease granted on member 0, once its record has reached member 1. */
async function grantSeenByMember1(ttlSeconds = leaseTtlSeconds): Promise<string> {
  const id = await grant(0, ttlSeconds);
  await waitUntil(() => listed(1, id), replicatedWithinMs, 'member 1 to hold the lease record');
  return id;
}

/** Member `i` holds the lease's record (it replicated there). */
async function listed(i: number, id: string): Promise<boolean> {
  return (await ctl(i, ['lease', 'list'])).split('\n').includes(id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** TimeToLive calls per member for the printed latencies; ECKD_LEASE_FORWARD_SAMPLES for a longer measurement. */
const measuredCalls = Number(process.env['ECKD_LEASE_FORWARD_SAMPLES'] ?? 200);

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! * 10) / 10;
}

describe('leases across members', () => {
  test("member 0's lease is kept alive and asked about through member 1; keys put through member 1 go with its expiry", { timeout: 120_000 }, async () => {
    const id = await grantSeenByMember1();
    await ctl(0, ['put', 'fl/a', '1', `--lease=${id}`]);
    // Member 1 accepts the lease: its record is in member 1's document.
    await ctl(1, ['put', 'fl/b', '2', `--lease=${id}`]);
    await onBoth('fl/', 'fl/a fl/b');
    // TimeToLive through member 1 is member 0's answer: its TTL and both keys once member 0 applied fl/b.
    await waitUntil(async () => (await ctl(1, ['lease', 'timetolive', id, '--keys'])).includes('attached keys([fl/a fl/b])'), replicatedWithinMs, 'the owner to list both keys');
    assert.match(await ctl(1, ['lease', 'timetolive', id]), new RegExp(`lease ${id} granted with TTL\\(${leaseTtlSeconds}s\\), remaining\\(\\d+s\\)`));
    // Kept alive only through member 1, for longer than its TTL.
    for (let n = 0; n < 5; n++) {
      assert.match(await ctl(1, ['lease', 'keep-alive', '--once', id]), new RegExp(`lease ${id} keepalived with TTL\\(${leaseTtlSeconds}\\)`));
      await sleep(2_000);
    }
    assert.equal(await keysOn(0, 'fl/'), 'fl/a fl/b');
    assert.equal(await keysOn(1, 'fl/'), 'fl/a fl/b');
    // No more keep-alives: member 0 expires it, both keys go on both members.
    await onBoth('fl/', '');
    // The owner answers TTL 0, which etcd's client reports as a lease not found.
    const gone = await etcdctl(endpoint(1), ['lease', 'keep-alive', '--once', id]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /requested lease not found/);
    assert.match(await ctl(1, ['lease', 'timetolive', id]), /already expired/);
  });

  test('a revoke through member 1 deletes the keys on both members; a read on member 1 right after it sees none', { timeout: 60_000 }, async () => {
    const id = await grantSeenByMember1();
    await ctl(0, ['put', 'rv/a', '1', `--lease=${id}`]);
    await ctl(1, ['put', 'rv/b', '2', `--lease=${id}`]);
    await onBoth('rv/', 'rv/a rv/b');
    assert.equal(await ctl(1, ['lease', 'revoke', id]), `lease ${id} revoked`);
    assert.equal(await keysOn(1, 'rv/'), '');
    await onBoth('rv/', '');
    assert.equal(await listed(0, id), false);
    const again = await etcdctl(endpoint(1), ['lease', 'revoke', id]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /requested lease not found/);
  });

  test("LeaseLeases on either member lists both members' leases", { timeout: 60_000 }, async () => {
    const ids = [await grant(0), await grant(1)];
    for (const i of [0, 1]) {
      await waitUntil(async () => (await Promise.all(ids.map((id) => listed(i, id)))).every(Boolean), replicatedWithinMs, `member ${i} to list both leases`);
    }
    for (const [i, id] of ids.entries()) await ctl(i, ['lease', 'revoke', id]);
  });

  test("TimeToLive p50 and p99 asked of the owner and through the other member (forwarded)", { timeout: 120_000 }, async () => {
    // Long enough to outlive the measurement without keep-alives.
    const ttlSeconds = 3_600;
    const id = BigInt(`0x${await grantSeenByMember1(ttlSeconds)}`).toString();
    const clients = [0, 1].map((i) => new Etcd3({ hosts: `http://${endpoint(i)}` }));
    try {
      const figures: Record<string, { p50: number; p99: number }> = {};
      for (const [i, client] of clients.entries()) {
        const samples: number[] = [];
        for (let n = 0; n < measuredCalls; n++) {
          const started = performance.now();
          const answer = await client.leaseClient.leaseTimeToLive({ ID: id });
          samples.push(performance.now() - started);
          assert.equal(Number(answer.grantedTTL), ttlSeconds);
        }
        figures[i === 0 ? 'owner (member 0)' : 'forwarded (member 1)'] = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
      }
      console.log(`lease TimeToLive latency ms (${measuredCalls} sequential calls per member, 2 members): ${JSON.stringify(figures)}`);
      await clients[0]!.leaseClient.leaseRevoke({ ID: id });
    } finally {
      for (const client of clients) client.close();
    }
  });

  test("with the owner's backend down, forwarded operations answer request timed out; they work again once it is back", { timeout: 90_000 }, async () => {
    const id = await grantSeenByMember1();
    const backend = await cluster.kill(0, 'backend');
    try {
      for (const args of [['lease', 'timetolive', id], ['lease', 'revoke', id]]) {
        const r = await etcdctl(endpoint(1), args);
        assert.notEqual(r.code, 0, `${args.join(' ')} succeeded with the owner down`);
        assert.match(r.stderr, /etcdserver: request timed out/);
      }
    } finally {
      await backend.restart();
    }
    // The restarted owner restores the lease with a full TTL (§5d): member 1 reaches it again.
    await waitUntil(async () => (await etcdctl(endpoint(1), ['lease', 'revoke', id])).code === 0, replicatedWithinMs, 'a revoke through member 1 to succeed');
  });

  test("a key put with member 0's lease on member 1 while member 0 expires it is deleted on both once they meet", { timeout: 120_000 }, async () => {
    const id = await grantSeenByMember1();
    await ctl(0, ['put', 'race/a', '1', `--lease=${id}`]);
    await onBoth('race/', 'race/a');
    await cluster.partition([[0], [1]]);
    try {
      // Member 1 has not heard of the expiry: it accepts the lease.
      await ctl(1, ['put', 'race/b', '2', `--lease=${id}`]);
      await waitUntil(async () => !(await listed(0, id)), expiredWithinMs, 'member 0 to expire its lease');
      assert.equal(await keysOn(0, 'race/'), '');
      assert.equal(await keysOn(1, 'race/'), 'race/a race/b');
    } finally {
      await cluster.heal();
    }
    // Member 0's revoke deletes race/a on member 1; race/b, which member 0 never knew with the lease, is deleted when it arrives there.
    await onBoth('race/', '');
    assert.equal(await listed(1, id), false);
  });
});
