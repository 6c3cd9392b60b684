// Three members replicating (docs/ARCHITECTURE.md §8): writes on any member
// reach every member, concurrent writes and partitions converge to the same
// state everywhere, remote writes are local revisions in the reader's band,
// and another member's revision answers `compacted`. Leases belong to the
// member that granted it: only it expires or revokes them, also after a peer
// restarts (§8.6; operations through another member: cluster-leases.spec.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { IKeyValue } from 'etcd3';
import pg from 'pg';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const members = 3;
const revisionBandSize = 2 ** 48;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms; this is the bound for any change to reach every member. */
const replicatedWithinMs = 15_000;

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

async function put(i: number, key: string, value: string): Promise<number> {
  return Number((await client(i).kv.put({ key: Buffer.from(key), value: Buffer.from(value) })).header.revision);
}

/** Every key and value under a prefix, as `key=value` lines in key order. */
async function dump(i: number, prefix: string): Promise<string> {
  const all = await client(i).getAll().prefix(prefix).strings();
  return Object.entries(all)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Waits until every member holds the same keys and values under `prefix`; returns that state. */
async function converged(prefix: string, timeoutMs = replicatedWithinMs): Promise<string> {
  let states: string[] = [];
  await waitUntil(
    async () => {
      states = await Promise.all(clients.map((_, i) => dump(i, prefix)));
      return states.every((s) => s === states[0]);
    },
    timeoutMs,
    `every member to hold the same keys under ${prefix}`,
  );
  return states[0]!;
}

async function storedSyncStates(i: number): Promise<number> {
  const db = new pg.Client({ connectionString: cluster.member(i).database.url });
  await db.connect();
  try {
    return Number((await db.query<{ n: string }>('select count(*) as n from eckd_peers')).rows[0]!.n);
  } finally {
    await db.end();
  }
}

function bandOf(revision: number): number {
  return Math.floor(revision / revisionBandSize);
}

/** Random puts and deletes of a few shared keys from every member at once. */
async function writeConcurrently(prefix: string, writesPerMember: number, writers: readonly number[] = [0, 1, 2]): Promise<void> {
  const keys = 12;
  await Promise.all(
    writers.map(async (i) => {
      for (let n = 0; n < writesPerMember; n++) {
        const key = `${prefix}${Math.floor(Math.random() * keys)}`;
        if (Math.random() < 0.2) await client(i).delete().key(key);
        else await put(i, key, `m${i}-${n}`);
      }
    }),
  );
}

describe('replication between three members', () => {
  test('each member numbers its revisions in its own band', async () => {
    for (let i = 0; i < members; i++) assert.equal(bandOf(await put(i, `band/${i}`, 'x')), i);
  });

  test('a write on each member is readable on every member', async () => {
    for (let i = 0; i < members; i++) await put(i, `a/${i}`, `from-${i}`);
    const state = await converged('a/');
    assert.equal(state, 'a/0=from-0\na/1=from-1\na/2=from-2');
  });

  test('concurrent writes to shared keys converge', { timeout: 120_000 }, async () => {
    await writeConcurrently('c/', 100);
    const state = await converged('c/', 30_000);
    assert.ok(state.length > 0, 'some keys survive');
  });

  test('a watch on member 1 sees member 0 writes once each, in order, as its own revisions', { timeout: 60_000 }, async () => {
    const watcher = await client(1).watch().prefix('w/').create();
    const seen: { key: string; value: string; revision: number }[] = [];
    watcher.on('put', (kv: IKeyValue) => seen.push({ key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) }));
    try {
      const count = 20;
      for (let n = 0; n < count; n++) await put(0, `w/${String(n).padStart(2, '0')}`, `v${n}`);
      await waitUntil(() => seen.length >= count, replicatedWithinMs, `${count} watch events on member 1`);
      await converged('w/');
      assert.deepEqual(
        seen.map((e) => `${e.key}=${e.value}`),
        Array.from({ length: count }, (_, n) => `w/${String(n).padStart(2, '0')}=v${n}`),
      );
      for (const [n, e] of seen.entries()) {
        assert.equal(bandOf(e.revision), 1, `event ${n} at revision ${e.revision} is not in member 1's band`);
        if (n > 0) assert.ok(e.revision >= seen[n - 1]!.revision, 'revisions do not go back');
      }
    } finally {
      await watcher.cancel();
    }
  });

  test("another member's revision answers compacted (Range and Watch)", { timeout: 60_000 }, async () => {
    const revision = await put(0, 'f/k', 'v');
    await converged('f/');
    await assert.rejects(client(1).kv.range({ key: Buffer.from('f/k'), revision: String(revision) }), /required revision has been compacted/);
    const endpoint = cluster.member(1).endpoints[0]!;
    const watch = await etcdctl(endpoint, ['watch', 'f/k', `--rev=${revision}`], { timeoutMs: 10_000 });
    assert.match(watch.stdout + watch.stderr, /required revision has been compacted/);
  });

  test('a partition under writes on both sides heals and converges; conflicts resolve alike everywhere', { timeout: 120_000 }, async () => {
    await cluster.partition([[0], [1, 2]]);
    try {
      // Both sides write the same keys: after the heal every key has concurrent values.
      await Promise.all([
        (async () => {
          for (let n = 0; n < 10; n++) await put(0, `p/${n}`, `left-${n}`);
        })(),
        (async () => {
          for (let n = 0; n < 10; n++) await put(1, `p/${n}`, `right-${n}`);
        })(),
      ]);
      await writeConcurrently('p/', 30, [0, 2]);
      // The cut is real: member 0 does not see member 1's writes.
      assert.ok(!(await dump(0, 'p/')).includes('right-'), 'member 0 saw a write from across the partition');
    } finally {
      await cluster.heal();
    }
    await converged('p/', 30_000);
  });

  test('a partial partition (0 and 2 cut, 1 sees both) converges without healing', { timeout: 120_000 }, async () => {
    cluster.nats.link(0, 2).cut();
    try {
      await cluster.nats.waitForRoutes();
      await put(0, 'd/from-0', 'x');
      await put(2, 'd/from-2', 'y');
      await writeConcurrently('d/', 30, [0, 2]);
      const state = await converged('d/', 30_000);
      assert.match(state, /d\/from-0=x/);
      assert.match(state, /d\/from-2=y/);
    } finally {
      await cluster.heal();
    }
  });

  test('a member whose backend crashes recovers the peer changes and sync states it stored and catches up', { timeout: 120_000 }, async () => {
    await put(0, 'r/before', 'stored');
    await converged('r/');
    // Its sync state with each peer is in its Postgres (written at most once a second per peer).
    await waitUntil(async () => (await storedSyncStates(2)) === members - 1, replicatedWithinMs, "member 2's stored sync states");
    const backend = await cluster.kill(2, 'backend');
    await put(0, 'r/while-down', 'synced later');
    await backend.restart();
    const state = await converged('r/', 30_000);
    assert.equal(state, 'r/before=stored\nr/while-down=synced later');
    assert.equal(bandOf(await put(2, 'r/after', 'x')), 2);
    await converged('r/');
  });
});

/** `key=lease id` of every key under the prefix on member i, in key order. */
async function leasedKeys(i: number, prefix: string): Promise<string> {
  const { kvs } = await client(i).getAll().prefix(prefix).exec();
  return kvs.map((kv) => `${kv.key.toString()}=${kv.lease}`).join('\n');
}

describe('leases between members', () => {
  const leaseTtlSeconds = 5;

  async function everywhere(prefix: string, expected: string): Promise<void> {
    await waitUntil(
      async () => (await Promise.all(clients.map((_, i) => leasedKeys(i, prefix)))).every((s) => s === expected),
      replicatedWithinMs,
      `every member to hold ${JSON.stringify(expected)} under ${prefix}`,
    );
  }

  test("member 0's lease outlives member 1's restart while kept alive; its revoke deletes the keys everywhere", { timeout: 120_000 }, async () => {
    // Kept alive by the client (every TTL/3) on member 0, the owner.
    const lease = client(0).lease(leaseTtlSeconds);
    const id = await lease.grant();
    await lease.put('lo/a').value('1');
    await lease.put('lo/b').value('2');
    const attached = `lo/a=${id}\nlo/b=${id}`;
    await everywhere('lo/', attached);

    // Member 1 does not own the lease: it lists it (LeaseLeases lists the cluster's) and refuses its id for a new grant.
    assert.deepEqual((await client(0).leaseClient.leaseLeases()).leases.map((l) => l.ID), [id]);
    assert.deepEqual((await client(1).leaseClient.leaseLeases()).leases.map((l) => l.ID), [id]);
    await assert.rejects(client(1).leaseClient.leaseGrant({ ID: id, TTL: 10 }), /lease already exists/);

    const backend = await cluster.kill(1, 'backend');
    await backend.restart();
    // Member 1 answers writes again: it has recovered the document, lease record included.
    await put(1, 'lo-restarted', 'x');
    await new Promise((resolve) => setTimeout(resolve, leaseTtlSeconds * 1000 + 3_000));
    for (let i = 0; i < members; i++) assert.equal(await leasedKeys(i, 'lo/'), attached, `member ${i} lost the keys of a lease kept alive on member 0`);
    // Member 1 lists it from its document, and it is still member 0's: a TimeToLive through member 1 is the owner's answer.
    assert.deepEqual((await client(1).leaseClient.leaseLeases()).leases.map((l) => l.ID), [id]);
    assert.equal(Number((await client(1).leaseClient.leaseTimeToLive({ ID: id })).grantedTTL), leaseTtlSeconds);

    await lease.revoke();
    await everywhere('lo/', '');
  });
});

describe('member list between members', () => {
  /** Each member's `etcdctl member list -w json`: cluster id, and name → client URLs (sorted by name). */
  async function listedBy(i: number): Promise<{ clusterId: string; members: string }> {
    const r = await etcdctl(cluster.member(i).endpoints[0]!, ['member', 'list', '-w', 'json']);
    assert.equal(r.code, 0, r.stderr);
    // uint64 ids do not fit a JSON number: the header's cluster id is compared as its text.
    const clusterId = /"cluster_id":(\d+)/.exec(r.stdout)![1]!;
    const list = JSON.parse(r.stdout) as { members: { name: string; clientURLs?: string[] }[] };
    const members = list.members
      .map((m) => `${m.name}=${(m.clientURLs ?? []).join(',')}`)
      .sort()
      .join(' ');
    return { clusterId, members };
  }

  test('every member lists all three with their client URLs, one cluster id', { timeout: 60_000 }, async () => {
    const expected = cluster.members.map((m) => `${m.nodeName}=${m.endpoints.map((e) => `http://${e}`).join(',')}`).sort().join(' ');
    let lists: { clusterId: string; members: string }[] = [];
    await waitUntil(
      async () => {
        lists = await Promise.all(cluster.members.map((_, i) => listedBy(i)));
        return lists.every((l) => l.members === expected);
      },
      replicatedWithinMs,
      `every member to list ${expected}`,
    );
    assert.equal(new Set(lists.map((l) => l.clusterId)).size, 1);
  });
});
