// etcd's Maintenance service on a node with two frontends, through etcdctl
// (3.4.23) and raw gRPC for the 3.6 fields: Status, HashKV (compared with a
// real etcd given the same writes), health, move-leader, defragment,
// snapshot save + restore into a new node, Downgrade and alarms set through
// the API. The space quota (NOSPACE) has its own spec file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { MaintenanceClient } from '@eckd/etcd-proto';
import { createTestDatabase, etcdctl, repoRoot, startEtcd, startNode, subjectPrefix } from '@eckd/testing';
import type { EtcdServer } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let etcd: EtcdServer;
let dir: string;
const clients: MaintenanceClient[] = [];

before(async () => {
  [f, etcd] = await Promise.all([startNodeFixture({ frontends: 2 }), startEtcd()]);
  dir = await mkdtemp(join(tmpdir(), 'eckd-maintenance-'));
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.allSettled([f?.stop(), etcd?.stop(), dir && rm(dir, { recursive: true, force: true })]);
});

/** etcdctl that must succeed; its stdout. */
async function ctl(endpoint: string, ...args: string[]): Promise<string> {
  const r = await etcdctl(endpoint, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Parsed JSON, loosely typed as JSON.parse gives it. */
type Json = ReturnType<typeof JSON.parse>;
type Unary = (req: object, callback: (err: Error | null, res: Json) => void) => void;

/** etcdctl's JSON, with 64-bit ids kept exact (as strings). */
function json(stdout: string): Json {
  return JSON.parse(stdout.replace(/([:[,])(\d{16,})/g, '$1"$2"'));
}

function maintenance(endpoint: string): MaintenanceClient {
  const client = new (loadEtcdGrpc().grpcObject.etcdserverpb.Maintenance)(endpoint, grpc.credentials.createInsecure());
  clients.push(client);
  return client;
}

function call(client: MaintenanceClient, method: 'Status' | 'Downgrade' | 'Alarm' | 'HashKV', req: object): Promise<Json> {
  const fn = (client[method] as unknown as Unary).bind(client);
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

async function hashOf(endpoint: string, rev = 0): Promise<{ hash: number; compact: string }> {
  const out = json(await ctl(endpoint, 'endpoint', 'hashkv', `--rev=${rev}`, '-w', 'json'))[0].HashKV;
  return { hash: out.hash, compact: String(out.compact_revision) };
}

describe('maintenance', () => {
  test('HashKV equals etcd 3.4.23 for the same writes, on both frontends, across a compaction and a backend restart', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    const both = async (...args: string[]) => Promise.all([ctl(a, ...args), ctl(etcd.endpoint, ...args)]);
    for (const [k, v] of [['h/a', '1'], ['h/b', '2'], ['h/a', '3'], ['h/c', '']] as const) await both('put', k, v);
    await both('del', 'h/b');
    const txn = 'mod("h/a") > "0"\n\nput h/d 4\nput h/e 5\ndel h/c\n\n';
    await Promise.all([a, etcd.endpoint].map((ep) => etcdctl(ep, ['txn'], { input: txn })));
    for (const rev of [0, 3, 6]) assert.deepEqual(await hashOf(a, rev), await hashOf(etcd.endpoint, rev), `revision ${rev}`);
    await both('put', 'h/f', '6');
    await both('compact', '6');
    const hash = await hashOf(a);
    assert.deepEqual(hash, await hashOf(etcd.endpoint), 'after compaction at 6');
    assert.deepEqual(await hashOf(b), hash, 'the other frontend');
    await f.node.processes.backend.restart();
    assert.deepEqual(await hashOf(a), hash, 'after a backend restart');
    assert.deepEqual(await hashOf(b), hash);
  });

  test('Status: version 3.6.0, this member leads, raft indexes are the node revision, sizes come from Postgres', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    const revision = Number(json(await ctl(a, 'put', 'st/k', 'v', '-w', 'json')).header.revision);
    const [sa, sb] = [json(await ctl(a, 'endpoint', 'status', '-w', 'json'))[0].Status, json(await ctl(b, 'endpoint', 'status', '-w', 'json'))[0].Status];
    for (const s of [sa, sb]) {
      assert.equal(s.version, '3.6.0');
      assert.equal(s.leader, s.header.member_id);
      assert.equal(s.raftTerm, 2);
      assert.ok(s.raftIndex >= revision && s.raftAppliedIndex >= revision, JSON.stringify(s));
      assert.ok(s.dbSize > 0 && s.dbSizeInUse > 0 && s.dbSizeInUse <= s.dbSize, JSON.stringify(s));
      assert.equal(s.errors, undefined);
    }
    assert.equal(sa.header.member_id, sb.header.member_id);
    const raw = await call(maintenance(a), 'Status', {});
    assert.equal(raw.dbSizeQuota, String(2 * 1024 ** 3));
    assert.equal(raw.storageVersion, '3.6.0');
    assert.equal(raw.isLearner, false);
    assert.deepEqual(raw.downgradeInfo, { enabled: false, targetVersion: '' });
    const table = await ctl(a, 'endpoint', 'status', '-w', 'table');
    assert.match(table, /3\.6\.0 .*\|\s+true \|\s+false \|/);
  });

  test('Status without the backend answers as etcd without a leader', async () => {
    const [a] = f.node.endpoints as [string];
    await f.node.processes.backend.stop();
    try {
      const s = json(await ctl(a, 'endpoint', 'status', '-w', 'json'))[0].Status;
      assert.equal(s.leader, undefined, 'leader 0');
      assert.deepEqual(s.errors, ['etcdserver: no leader']);
      assert.equal(s.version, '3.6.0');
    } finally {
      await f.node.processes.backend.restart();
    }
  });

  test('health, alarm list, move-leader and defrag answer as etcd', async () => {
    const [a] = f.node.endpoints as [string];
    const health = await etcdctl(a, ['endpoint', 'health']);
    assert.equal(health.code, 0);
    assert.match(health.stdout + health.stderr, /is healthy: successfully committed proposal/);
    assert.equal((await ctl(a, 'alarm', 'list')).trim(), '');
    const self = BigInt(json(await ctl(a, 'endpoint', 'status', '-w', 'json'))[0].Status.leader).toString(16);
    assert.match(await ctl(a, 'move-leader', self), new RegExp(`Leadership transferred from ${self} to ${self}`));
    const other = await etcdctl(a, ['move-leader', '1']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /Error: etcdserver: bad leader transferee/);
    assert.match(await ctl(a, 'defrag'), new RegExp(`Finished defragmenting etcd member\\[${a}\\]`));
    assert.equal(await ctl(a, 'get', 'st/k', '--print-value-only'), 'v\n', 'the store is intact after the defragment');
  });

  test('snapshot save writes a file that the restore tool turns into a node with the same keys, revision and hash', async () => {
    const [a] = f.node.endpoints as [string];
    await ctl(a, 'put', 'snap/k', 'before');
    const file = join(dir, 'node.snap');
    assert.match(await ctl(a, 'snapshot', 'save', file), /Snapshot saved at/);
    const expected = { hash: await hashOf(a), kvs: json(await ctl(a, 'get', '', '--from-key', '-w', 'json')) };
    await ctl(a, 'put', 'snap/k', 'after');
    execFileSync(process.execPath, ['tools/scripts/build-project.mjs', 'tools/snapshot-restore'], { cwd: repoRoot(), stdio: 'pipe' });
    const db = await createTestDatabase();
    try {
      const tool = join(repoRoot(), 'tools', 'snapshot-restore', 'dist', 'main.js');
      const summary = JSON.parse(execFileSync(process.execPath, [tool, file, '--database-url', db.url]).toString());
      assert.equal(summary.revision, expected.kvs.header.revision);
      const restored = await startNode({ natsUrl: f.nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: f.node.nodeName });
      try {
        const [r] = restored.endpoints as [string];
        assert.deepEqual(json(await ctl(r, 'get', '', '--from-key', '-w', 'json')), expected.kvs);
        assert.deepEqual(await hashOf(r), expected.hash);
      } finally {
        await restored.stop();
      }
      const again = spawnSync(process.execPath, [tool, file, '--database-url', db.url]);
      assert.notEqual(again.status, 0);
      assert.match(again.stderr.toString(), /not empty/);
    } finally {
      await db.drop();
    }
  });

  test('Downgrade as etcd 3.6 on one member: target checks, enable, in progress, cancel', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    const [ma, mb] = [maintenance(a), maintenance(b)];
    assert.equal((await call(ma, 'Downgrade', { action: 'VALIDATE', version: '3.5' })).version, '3.6');
    await assert.rejects(call(ma, 'Downgrade', { action: 'VALIDATE', version: 'x.y' }), /etcdserver: wrong downgrade target version format/);
    await assert.rejects(call(ma, 'Downgrade', { action: 'ENABLE', version: '3.4.0' }), /etcdserver: invalid downgrade target version/);
    await call(ma, 'Downgrade', { action: 'ENABLE', version: '3.5.0' });
    await assert.rejects(call(mb, 'Downgrade', { action: 'VALIDATE', version: '3.5' }), /etcdserver: cluster has a downgrade job in progress/);
    assert.deepEqual((await call(mb, 'Status', {})).downgradeInfo, { enabled: true, targetVersion: '3.5.0' });
    await call(mb, 'Downgrade', { action: 'CANCEL' });
    await call(ma, 'Downgrade', { action: 'CANCEL' });
    assert.deepEqual((await call(ma, 'Status', {})).downgradeInfo, { enabled: false, targetVersion: '' });
  });

  test('alarms set through the API are node-wide; CORRUPT refuses writes until disarmed', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    const ma = maintenance(a);
    const activated = await call(ma, 'Alarm', { action: 'ACTIVATE', memberID: '42', alarm: 'CORRUPT' });
    assert.deepEqual(activated.alarms, [{ memberID: '42', alarm: 'CORRUPT' }]);
    assert.ok(Number(activated.header.revision) > 0, 'Alarm has a header (3.6)');
    assert.deepEqual((await call(ma, 'Alarm', { action: 'ACTIVATE', memberID: '42', alarm: 'NONE' })).alarms, []);
    assert.equal((await ctl(b, 'alarm', 'list')).trim(), 'memberID:42 alarm:CORRUPT');
    const put = await etcdctl(b, ['put', 'al/k', 'v']);
    assert.match(put.stderr, /etcdserver: corrupt cluster/);
    assert.deepEqual((await call(maintenance(b), 'Status', {})).errors, ['memberID:42 alarm:CORRUPT ']);
    assert.equal((await ctl(a, 'alarm', 'disarm')).trim(), 'memberID:42 alarm:CORRUPT');
    assert.deepEqual((await call(ma, 'Alarm', { action: 'DEACTIVATE', memberID: '42', alarm: 'CORRUPT' })).alarms, []);
    await ctl(b, 'put', 'al/k', 'v');
  });
});
