// The path of a request end to end, driven by etcdctl (Debian's etcd-client)
// against a node of separate processes on real NATS and Postgres.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
});
after(async () => {
  await f?.stop();
});

async function ctl(args: string[], endpoint = f.node.endpoints[0]!) {
  const r = await etcdctl(endpoint, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('etcdctl against a node', () => {
  test('the node runs as separate processes', () => {
    const { persister, backend, frontends } = f.node.processes;
    const pids = new Set([persister.pid, backend.pid, ...frontends.map((p) => p.pid)]);
    assert.equal(pids.size, 4);
  });

  test('put, get, get --prefix, del', async () => {
    assert.equal((await ctl(['put', 'foo', 'bar'])).trim(), 'OK');
    assert.equal(await ctl(['get', 'foo']), 'foo\nbar\n');
    await ctl(['put', 'p/a', '1']);
    await ctl(['put', 'p/b', '2']);
    await ctl(['put', 'q', '3']);
    assert.equal(await ctl(['get', '--prefix', 'p/']), 'p/a\n1\np/b\n2\n');
    assert.equal((await ctl(['del', '--prefix', 'p/'])).trim(), '2');
    assert.equal(await ctl(['get', '--prefix', 'p/']), '');
    assert.equal((await ctl(['del', 'nosuchkey'])).trim(), '0');
  });

  test('revisions: one per write, none for a delete of nothing, headers filled', async () => {
    const first = JSON.parse(await ctl(['put', 'rev/a', 'x', '-w', 'json']));
    const r0 = Number(first.header.revision);
    const second = JSON.parse(await ctl(['put', 'rev/a', 'x', '-w', 'json']));
    assert.equal(Number(second.header.revision), r0 + 1, 'an identical value still makes a revision');
    const noop = JSON.parse(await ctl(['del', 'rev/none', '-w', 'json']));
    assert.equal(Number(noop.header.revision), r0 + 1);
    const got = JSON.parse(await ctl(['get', 'rev/a', '-w', 'json']));
    assert.equal(got.kvs[0].version, 2);
    assert.equal(got.kvs[0].create_revision, r0);
    assert.equal(got.kvs[0].mod_revision, r0 + 1);
    assert.ok(got.header.cluster_id && got.header.member_id, 'cluster and member ids are set');
    assert.equal(got.header.raft_term, 2);
  });

  test('a write through one frontend is visible to a linearizable read through the other', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    for (let i = 0; i < 10; i++) {
      await ctl(['put', 'lin', `v${i}`], a);
      assert.equal(await ctl(['get', 'lin', '--print-value-only'], b), `v${i}\n`);
    }
  });

  test('etcd errors reach the client with etcd text', async () => {
    const r = await etcdctl(f.node.endpoints[0]!, ['put', '', 'x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /etcdserver: key is not provided/);
  });

  test('compaction: older revisions answer etcd compacted error, newer ones still read', async () => {
    const first = JSON.parse(await ctl(['put', 'cmp/k', 'v1', '-w', 'json'])).header.revision as number;
    await ctl(['put', 'cmp/k', 'v2']);
    assert.match(await ctl(['compaction', String(first + 1)]), new RegExp(`compacted revision ${first + 1}`));
    const old = await etcdctl(f.node.endpoints[1]!, ['get', 'cmp/k', `--rev=${first}`]);
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /etcdserver: mvcc: required revision has been compacted/);
    assert.equal(await ctl(['get', 'cmp/k', `--rev=${first + 1}`, '--print-value-only'], f.node.endpoints[1]), 'v2\n');
    const again = await etcdctl(f.node.endpoints[0]!, ['compaction', String(first)]);
    assert.match(again.stderr, /required revision has been compacted/);
  });

  test('the data survives a restart of the whole node and revisions go on', async () => {
    await ctl(['put', 'durable', 'yes']);
    const before = JSON.parse(await ctl(['get', 'durable', '-w', 'json']));
    await f.restartNode();
    assert.equal(await ctl(['get', 'durable', '--print-value-only']), 'yes\n');
    const after = JSON.parse(await ctl(['put', 'durable', 'again', '-w', 'json']));
    assert.equal(Number(after.header.revision), Number(before.header.revision) + 1);
  });
});
