// Each process of a node can die and come back: acknowledged writes stay,
// revisions go on from where they were, frontends catch up by themselves.
// (The full fault suite under load comes with the durability issue.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Etcd3 } from 'etcd3';
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

/** Puts until one succeeds (a client retries while a process restarts); returns its revision. */
async function putEventually(endpoint: string, key: string, value: string, deadlineMs = 20_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await etcdctl(endpoint, ['put', key, value, '-w', 'json', '--command-timeout=3s']);
    if (r.code === 0) return Number(JSON.parse(r.stdout).header.revision);
    if (Date.now() > until) assert.fail(`put ${key} kept failing: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function get(endpoint: string, key: string): Promise<string> {
  const r = await etcdctl(endpoint, ['get', key, '--print-value-only']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe('process restarts', () => {
  test('writes arriving together share one Automerge change and one Postgres transaction', async () => {
    const client = new Etcd3({ hosts: `http://${f.node.endpoints[0]}` });
    const db = new pg.Client({ connectionString: f.db.url });
    await db.connect();
    try {
      const before = Number((await db.query('select count(*) as n from eckd_log')).rows[0].n);
      await Promise.all(Array.from({ length: 200 }, (_, i) => client.put(`batch/${i}`).value('x').exec()));
      const rows = (await db.query('select first_revision, last_revision from eckd_log order by last_revision')).rows.slice(before);
      const revisions = rows.reduce((n, r) => n + Number(r.last_revision) - Number(r.first_revision) + 1, 0);
      assert.equal(revisions, 200, 'every write is stored with its own revision');
      assert.ok(rows.length < 200, `200 concurrent writes were stored in ${rows.length} transactions`);
      const changes = Number((await db.query('select count(*) as n from eckd_changes where revision > $1', [rows[0].first_revision - 1])).rows[0].n);
      assert.equal(changes, rows.length, 'one Automerge change per stored batch');
    } finally {
      client.close();
      await db.end();
    }
  });

  test('backend killed with SIGKILL: data kept, revisions continue, both frontends serve', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    const r1 = await putEventually(a, 'bk/1', 'one');
    await f.node.processes.backend.kill('SIGKILL');
    await f.node.processes.backend.exited;
    await f.node.processes.backend.restart();
    const r2 = await putEventually(a, 'bk/2', 'two');
    assert.ok(r2 > r1, `revision went on: ${r1} then ${r2}`);
    assert.equal(await get(b, 'bk/1'), 'one');
    assert.equal(await get(b, 'bk/2'), 'two');
  });

  test('persister killed with SIGKILL: writes wait for it and then succeed', async () => {
    const [a] = f.node.endpoints as [string];
    await f.node.processes.persister.kill('SIGKILL');
    await f.node.processes.persister.exited;
    const pending = putEventually(a, 'ps/1', 'one');
    await new Promise((res) => setTimeout(res, 500));
    await f.node.processes.persister.restart();
    await pending;
    assert.equal(await get(a, 'ps/1'), 'one');
  });

  test('a restarted frontend resyncs from the backend', async () => {
    const [a, b] = f.node.endpoints as [string, string];
    await putEventually(a, 'fe/1', 'one');
    const frontend = f.node.processes.frontends[1]!;
    await frontend.kill('SIGKILL');
    await frontend.exited;
    await putEventually(a, 'fe/2', 'two');
    await frontend.restart();
    assert.equal(await get(b, 'fe/1'), 'one');
    assert.equal(await get(b, 'fe/2'), 'two');
  });
});
