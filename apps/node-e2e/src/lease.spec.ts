// Leases against a node: etcdctl's lease commands, expiry deleting keys in
// one revision with DELETE events, survival across a backend restart, and
// the etcd3 client's lease, lock and election helpers built on them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { etcdctl } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let client: Etcd3;
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
  client = new Etcd3({ hosts: f.node.endpoints.map((e) => `http://${e}`) });
});
after(async () => {
  client?.close();
  await f?.stop();
});

async function ctl(args: string[], endpoint = f.node.endpoints[0]!) {
  const r = await etcdctl(endpoint, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const leaseId = (out: string) => /lease ([0-9a-f]+) granted/.exec(out)![1]!;

describe('leases through etcdctl', () => {
  test('grant, put --lease, timetolive --keys, keep-alive, list, revoke', async () => {
    const id = leaseId(await ctl(['lease', 'grant', '100']));
    await ctl(['put', '--lease', id, 'l/a', '1']);
    await ctl(['put', '--lease', id, 'l/b', '2']);
    assert.match(await ctl(['lease', 'timetolive', id, '--keys']), /granted with TTL\(100s\), remaining\(\d+s\), attached keys\(\[l\/a l\/b\]\)/);
    assert.match(await ctl(['lease', 'keep-alive', '--once', id]), /keepalived with TTL\(100\)/);
    assert.match(await ctl(['lease', 'list']), new RegExp(id));
    assert.match(await ctl(['lease', 'revoke', id], f.node.endpoints[1]), /revoked/);
    assert.equal(await ctl(['get', '--prefix', 'l/']), '', 'the revoke deleted the keys');
    assert.match(await ctl(['lease', 'timetolive', id]), /already expired/);
  });

  test('etcd errors: unknown lease on put and revoke, minimum TTL', async () => {
    const put = await etcdctl(f.node.endpoints[0]!, ['put', '--lease', '3039', 'l/x', 'v']);
    assert.match(put.stderr, /etcdserver: requested lease not found/);
    const revoke = await etcdctl(f.node.endpoints[0]!, ['lease', 'revoke', '3039']);
    assert.match(revoke.stderr, /etcdserver: requested lease not found/);
    assert.match(await ctl(['lease', 'grant', '1']), /TTL\(2s\)/);
  });
});

describe('lease expiry', () => {
  test('an expired lease deletes its keys in one revision, seen as DELETE events', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('exp/a').value('1');
    await lease.put('exp/b').value('2');
    const watcher = await client.watch().prefix('exp/').withPreviousKV().create();
    const deletes: { key: string; rev: string; prevLease: string }[] = [];
    watcher.on('delete', (kv, prev) => deletes.push({ key: kv.key.toString(), rev: kv.mod_revision, prevLease: prev?.lease ?? '' }));
    const deadline = Date.now() + 8_000;
    while (deletes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await watcher.cancel();
    assert.deepEqual(deletes.map((d) => d.key), ['exp/a', 'exp/b'], 'both keys, in key order');
    assert.equal(deletes[0]!.rev, deletes[1]!.rev, 'one revision');
    assert.equal(deletes[0]!.prevLease, id, 'prev_kv carries the lease');
    assert.equal(await client.get('exp/a').string(), null);
  });

  test('expiry under write load still happens on time', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    await lease.grant();
    await lease.put('load/leased').value('x');
    const started = Date.now();
    let writes = 0;
    while (Date.now() - started < 4_000 && (await client.get('load/leased').string()) !== null) {
      await Promise.all(Array.from({ length: 16 }, (_, i) => client.put(`load/${i}`).value(String(writes++))));
    }
    assert.equal(await client.get('load/leased').string(), null, `still there after ${Date.now() - started} ms and ${writes} writes`);
    assert.ok(writes > 0);
  });

  test('a lease survives a backend restart with its keys', async () => {
    const lease = client.lease(60, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('surv/k').value('v');
    await f.node.processes.backend.kill('SIGKILL');
    await f.node.processes.backend.exited;
    await f.node.processes.backend.restart();
    const hex = BigInt(id).toString(16);
    let out = '';
    for (let i = 0; i < 50 && !out.includes('attached'); i++) {
      const r = await etcdctl(f.node.endpoints[0]!, ['lease', 'timetolive', hex, '--keys']);
      out = r.stdout;
      if (!out.includes('attached')) await new Promise((res) => setTimeout(res, 200));
    }
    assert.match(out, /attached keys\(\[surv\/k\]\)/);
  });
});

describe('etcdctl lock and elect (client recipes over KV, Watch and Lease)', () => {
  test('lock: a second holder waits until the first releases', async () => {
    const started = Date.now();
    const first = etcdctl(f.node.endpoints[0]!, ['lock', 'ctl-lock', '--', 'sh', '-c', 'echo first; sleep 1']);
    await new Promise((r) => setTimeout(r, 300));
    const second = await etcdctl(f.node.endpoints[1]!, ['lock', 'ctl-lock', '--', 'echo', 'second']);
    assert.match((await first).stdout, /first/);
    assert.match(second.stdout, /second/);
    assert.ok(Date.now() - started >= 1_000, 'the second waited for the first');
  });

  test('elect: a candidate becomes leader and -l shows it', async () => {
    const campaign = etcdctl(f.node.endpoints[0]!, ['elect', 'ctl-elect', 'candidate-1'], { timeoutMs: 3_000 });
    let leader = '';
    for (let i = 0; i < 20 && !leader.includes('candidate-1'); i++) {
      await new Promise((r) => setTimeout(r, 150));
      leader = (await etcdctl(f.node.endpoints[1]!, ['elect', '-l', 'ctl-elect'], { timeoutMs: 1_000 })).stdout;
    }
    assert.match(leader, /ctl-elect\/[0-9a-f]+\ncandidate-1/);
    await campaign; // ends when its timeout kills it
  });
});

describe('etcd3 client helpers', () => {
  // The etcd3 client's lock does not wait: a second acquire fails while the
  // first holds it (same against etcd), and succeeds once it is released.
  test('lock: one holder at a time', async () => {
    const a = await client.lock('locks/one').ttl(5).acquire();
    await assert.rejects(client.lock('locks/one').ttl(5).acquire(), /Failed to acquire a lock/);
    await a.release();
    const b = await client.lock('locks/one').ttl(5).acquire();
    await b.release();
  });

  test('election: campaign, leader, resign hands over', async () => {
    const election = client.election('elect/job', 5);
    const first = election.campaign('first');
    await first.wait();
    assert.equal(await election.leader(), 'first');
    const second = election.campaign('second');
    await first.resign();
    await second.wait();
    assert.equal(await election.leader(), 'second');
    await second.resign();
  });
});
