// The backend cuts its Automerge document's history (ARCHITECTURE.md §5b):
// the cut is stored as the snapshot, replaces the stored changes, survives
// restarts (also with asynchronous persistence) and later compactor runs,
// and keeps the backend's memory bounded under a million updates.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Etcd3 } from 'etcd3';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import { builtAppMain, isReadyLine, startProcess } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { peakRssMb } from './process-memory.js';
import { storedState } from './stored-state.js';

describe('history cut', { timeout: 300_000 }, () => {
  let fx: NodeFixture;
  let client: Etcd3;
  let sql: pg.Client;
  let nc: NatsConnection;

  before(async () => {
    fx = await startNodeFixture({ roleEnv: { backend: { ECKD_REBASE_OPS: '300' } } });
    client = new Etcd3({ hosts: `http://${fx.node.endpoints[0]}` });
    sql = new pg.Client({ connectionString: fx.db.url });
    await sql.connect();
    nc = await connect({ servers: fx.nats.url });
  });

  after(async () => {
    client?.close();
    await sql?.end();
    await nc?.close();
    await fx?.stop();
  });

  test('a cut replaces the stored changes with one base; the backend and a compactor recover from it', async () => {
    const checks = storedState(() => fx.node, client, sql);
    const lease = await client.lease(600, { autoKeepAlive: false }).grant();
    await client.put('cut/leased').value('l').lease(lease).exec();
    await checks.writeMany('cut/', 2_000, 50);
    const { rows } = await sql.query<{ heads: string[]; n: string }>('select heads, (select count(*) from eckd_changes) as n from eckd_snapshots');
    assert.equal(rows.length, 1, 'the cut is the snapshot (no compactor ran)');
    assert.equal(rows[0]!.heads.length, 1, 'a cut document has one head: its base');
    assert.ok(Number(rows[0]!.n) < 300, `${rows[0]!.n} changes stored after the cut`);
    const middle = (await checks.revision()) - 500;
    await checks.assertSurvivesRestart([middle]);

    // a compactor builds its snapshot on the cut, and the backend recovers from that too
    const compactor = await startProcess({
      name: 'cut/compactor',
      command: process.execPath,
      args: ['--enable-source-maps', builtAppMain('compactor')],
      env: {
        NATS_URL: fx.nats.url,
        ECKD_SUBJECT_PREFIX: fx.subjectPrefix,
        ECKD_NODE_NAME: fx.node.nodeName,
        DATABASE_URL: fx.db.url,
        ECKD_COMPACT_INTERVAL_MS: '3600000',
      },
      readyLine: isReadyLine,
    });
    try {
      await checks.writeMany('more/', 40, 40);
      await checks.compactAt(middle);
      const subject = nodeSubjects({ prefix: fx.subjectPrefix, node: fx.node.nodeName }).compactorRun;
      const reply = codecs.compactorRunReply.decode((await nc.request(subject, codecs.compactorRunRequest.encode({}), { timeout: 60_000 })).data);
      assert.equal(reply.ran, true, JSON.stringify(reply));
    } finally {
      await compactor.stop();
    }
    await checks.assertSurvivesRestart([middle]);
    assert.equal(await client.get('cut/leased').string(), 'l');
    assert.match((await client.lease(1).grant()) as string, /^\d+$/);
  });
});

describe('history cut with asynchronous persistence', { timeout: 300_000 }, () => {
  let fx: NodeFixture;
  let client: Etcd3;
  let sql: pg.Client;

  before(async () => {
    fx = await startNodeFixture({ roleEnv: { backend: { ECKD_PERSISTENCE: 'async', ECKD_REBASE_OPS: '300' } } });
    client = new Etcd3({ hosts: `http://${fx.node.endpoints[0]}` });
    sql = new pg.Client({ connectionString: fx.db.url });
    await sql.connect();
  });

  after(async () => {
    client?.close();
    await sql?.end();
    await fx?.stop();
  });

  test('cuts stored behind acknowledged batches come back after a graceful restart', async () => {
    const checks = storedState(() => fx.node, client, sql);
    await checks.writeMany('async/', 2_000, 50);
    assert.equal((await checks.counts()).snapshots, 1);
    await checks.assertSurvivesRestart([(await checks.revision()) - 300]);
  });
});

// One million updates on 1,000 keys, as txns of 100 puts from 16 writers,
// with etcd's Compact every 100,000 updates (as an apiserver compacts
// periodically). Without the cut the document alone would keep a million
// ops (about 0.6 KB each: over 600 MB); with the default
// ECKD_REBASE_OPS the backend's peak stays under the bound below
// (docs/BENCHMARKS.md, "Memory bound").
const memoryBoundMb = 400;
const updates = 1_000_000;
const keyCount = 1_000;
const putsPerTxn = 100;
const compactEveryUpdates = 100_000;
const writers = 16;

describe('memory bound', { timeout: 900_000 }, () => {
  let fx: NodeFixture;
  let client: Etcd3;

  before(async () => {
    fx = await startNodeFixture();
    client = new Etcd3({ hosts: `http://${fx.node.endpoints[0]}` });
  });

  after(async () => {
    client?.close();
    await fx?.stop();
  });

  test(`a node taking ${updates} updates on ${keyCount} keys keeps the backend under ${memoryBoundMb} MB`, async (t) => {
    const started = Date.now();
    let nextTxn = 0;
    let nextCompactAt = compactEveryUpdates;
    let lastRevision = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let txn = nextTxn++; txn * putsPerTxn < updates; txn = nextTxn++) {
          const success = Array.from({ length: putsPerTxn }, (_, j) => ({
            // every update writes a new value: a put of the same bytes changes nothing in the document
            request_put: { key: Buffer.from(`mem/${((txn * putsPerTxn + j) % keyCount).toString().padStart(4, '0')}`), value: Buffer.from(`${txn}/${j}`.padEnd(32, '.')) },
          }));
          const reply = await client.kv.txn({ compare: [], success, failure: [] });
          lastRevision = Math.max(lastRevision, Number(reply.header.revision));
          if ((txn + 1) * putsPerTxn >= nextCompactAt) {
            nextCompactAt += compactEveryUpdates;
            await client.kv.compact({ revision: lastRevision - 10 });
          }
        }
      }),
    );
    const peak = peakRssMb(fx.node.processes.backend.pid);
    t.diagnostic(`${updates} updates in ${((Date.now() - started) / 1000).toFixed(1)} s; backend peak RSS ${peak.toFixed(0)} MB`);
    const count = await client.getAll().prefix('mem/').count();
    assert.equal(count, keyCount);
    assert.ok(peak < memoryBoundMb, `backend peak RSS ${peak.toFixed(0)} MB, bound ${memoryBoundMb} MB`);
  });
});
