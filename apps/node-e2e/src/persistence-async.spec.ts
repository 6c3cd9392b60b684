// Asynchronous persistence (ECKD_PERSISTENCE=async on the backend): writes
// are acknowledged once applied and stored right after, in order; a graceful
// stop stores everything first, so a restart keeps every write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Etcd3 } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
before(async () => {
  f = await startNodeFixture({ frontends: 1, roleEnv: { backend: { ECKD_PERSISTENCE: 'async' } } });
});
after(async () => {
  await f?.stop();
});

test('async persistence stores every acknowledged write, in order, and a graceful restart keeps them', async () => {
  let client = new Etcd3({ hosts: `http://${f.node.endpoints[0]}` });
  const results = await Promise.all(Array.from({ length: 300 }, (_, i) => client.put(`async/${i}`).value(String(i)).exec()));
  const last = Math.max(...results.map((r) => Number(r.header.revision)));
  const db = new pg.Client({ connectionString: f.db.url });
  await db.connect();
  try {
    let stored = 0;
    for (let i = 0; i < 50 && stored < last; i++) {
      stored = Number((await db.query('select coalesce(max(last_revision), 0) as r from eckd_log')).rows[0].r);
      if (stored < last) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored, last, 'everything acknowledged reaches Postgres');
    const rows = (await db.query('select first_revision, last_revision from eckd_log order by last_revision')).rows;
    for (let i = 1; i < rows.length; i++) assert.equal(Number(rows[i].first_revision), Number(rows[i - 1].last_revision) + 1, 'no gap');
  } finally {
    await db.end();
  }
  client.close();
  await f.restartNode();
  client = new Etcd3({ hosts: `http://${f.node.endpoints[0]}` });
  try {
    assert.equal(await client.getAll().prefix('async/').count(), 300);
  } finally {
    client.close();
  }
});
