// The compactor on a real node: snapshots shrink the stored rows, a backend
// restarted from a snapshot has every key, value, revision and version, a
// compactor killed mid-run loses and duplicates nothing, and two compactors
// running together corrupt nothing.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Etcd3 } from 'etcd3';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import type { CompactorRunReply } from '@eckd/change-codec';
import { builtAppMain, createTestDatabase, etcdctl, isReadyLine, startNatsServer, startNode, startProcess, subjectPrefix } from '@eckd/testing';
import type { EckdNode, NatsServer, ProcessHandle, TestDatabase } from '@eckd/testing';
import { storedState } from './stored-state.js';
import type { StoredState } from './stored-state.js';

const nodeName = 'e2e';
const prefix = subjectPrefix();
let nats: NatsServer;
let db: TestDatabase;
let node: EckdNode;
let nc: NatsConnection;
let sql: pg.Client;
let client: Etcd3;
let checks: StoredState;
const compactors: ProcessHandle[] = [];

before(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
  node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: prefix, nodeName });
  nc = await connect({ servers: nats.url });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  client = new Etcd3({ hosts: `http://${node.endpoints[0]}` });
  checks = storedState(() => node, client, sql);
});

after(async () => {
  client?.close();
  await sql?.end();
  await nc?.close();
  await stopCompactors();
  await node?.stop();
  await Promise.allSettled([nats?.stop(), db?.drop()]);
});

/** Stops every compactor still running (each test leaves none behind, also when it fails). */
async function stopCompactors(): Promise<void> {
  await Promise.allSettled(compactors.splice(0).map((c) => c.stop()));
}

function startCompactor(label: string, env: Record<string, string> = {}): Promise<ProcessHandle> {
  return startProcess({
    name: `${nodeName}/${label}`,
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('compactor')],
    env: {
      NATS_URL: nats.url,
      ECKD_SUBJECT_PREFIX: prefix,
      ECKD_NODE_NAME: nodeName,
      DATABASE_URL: db.url,
      ECKD_COMPACT_INTERVAL_MS: '3600000',
      ...env,
    },
    readyLine: isReadyLine,
  }).then((p) => {
    compactors.push(p);
    return p;
  });
}

async function requestRun(timeoutMs = 120_000): Promise<CompactorRunReply> {
  const subject = nodeSubjects({ prefix, node: nodeName }).compactorRun;
  const msg = await nc.request(subject, codecs.compactorRunRequest.encode({}), { timeout: timeoutMs });
  return codecs.compactorRunReply.decode(msg.data);
}

describe('compactor', { timeout: 300_000 }, () => {
  afterEach(stopCompactors);

  test('a requested run snapshots the document, prunes the log below the compaction, and recovery restores everything', async () => {
    await startCompactor('compactor');
    await checks.writeMany('a/', 400, 150);
    const lease = await client.lease(600, { autoKeepAlive: false }).grant();
    await client.put('leased').value('x').lease(lease).exec();
    const leaseHex = BigInt(lease).toString(16);
    await client.delete().key('a/7').exec();
    const compactRevision = (await checks.revision()) - 100;
    await checks.compactAt(compactRevision);
    await checks.writeMany('b/', 100, 40);
    const before = await checks.counts();

    const reply = await requestRun();
    assert.equal(reply.ran, true, JSON.stringify(reply));
    assert.equal(reply.error, null);
    const after = await checks.counts();
    assert.equal(after.snapshots, 1);
    assert.equal(after.changes, before.changes - Number(reply.changes_deleted));
    assert.ok(after.changes < before.changes / 10, `changes ${before.changes} → ${after.changes}`);
    assert.ok(after.log < before.log && Number(reply.log_rows_deleted) > 0, `log rows ${before.log} → ${after.log}`);
    const { rows } = await sql.query('select min(last_revision) as first from eckd_log');
    assert.ok(Number(rows[0].first) <= compactRevision, 'history from the compact revision on is kept');

    await checks.assertSurvivesRestart([compactRevision, compactRevision + 50]);
    const compacted = await etcdctl(node.endpoints[0]!, ['get', 'a/1', `--rev=${compactRevision - 1}`]);
    assert.match(compacted.stderr, /required revision has been compacted/);
    const leases = await etcdctl(node.endpoints[0]!, ['lease', 'list']);
    assert.match(leases.stdout, new RegExp(`\\b0*${leaseHex}\\b`), 'the lease survives');
    assert.equal(await client.get('leased').string(), 'x', 'a leased key survives');
  });

  test('a compactor killed mid-run loses and duplicates nothing; the next run succeeds', async () => {
    await checks.writeMany('c/', 3000, 1000, 64);
    await checks.compactAt((await checks.revision()) - 10);
    const before = await checks.counts();
    const beforeKeys = await checks.keyspace();

    // Killed right after it starts (while it builds), then killed while it waits to commit.
    const paused = { ECKD_COMPACT_PAUSE_BEFORE_COMMIT_MS: '60000' };
    for (const line of [/"msg":"compaction started"/, /"msg":"pausing before commit"/]) {
      const compactor = await startCompactor('killed', paused);
      requestRun(5_000).catch(() => undefined);
      await compactor.waitForLine((l) => line.test(l), 60_000);
      compactor.kill('SIGKILL');
      await compactor.exited;
      const now = await checks.counts();
      assert.deepEqual(now, before, 'a killed run leaves the rows as they were');
    }

    await startCompactor('next');
    const reply = await requestRun();
    assert.equal(reply.ran, true, JSON.stringify(reply));
    const after = await checks.counts();
    assert.equal(after.snapshots, 1);
    assert.ok(after.changes < before.changes && after.log < before.log, `${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.deepEqual(await checks.keyspace(), beforeKeys);
    await checks.assertSurvivesRestart([]);
  });

  test('two compactors started together, running while writes go on, corrupt nothing', async () => {
    const eager = { ECKD_COMPACT_INTERVAL_MS: '150', ECKD_COMPACT_MIN_CHANGES: '1' };
    const pair = await Promise.all([startCompactor('twin-1', eager), startCompactor('twin-2', eager)]);
    for (let round = 0; round < 4; round++) {
      await checks.writeMany(`d${round}/`, 300, 100);
      await checks.compactAt((await checks.revision()) - 20);
    }
    const reply = await requestRun();
    assert.ok(reply.ran || reply.reason === 'nothing to compact', JSON.stringify(reply));
    const output = pair.map((c) => c.output()).join('\n');
    assert.doesNotMatch(output, /compaction failed|requested compaction failed|"level":"error"/);
    assert.ok((output.match(/"msg":"compaction done"/g) ?? []).length >= 2, 'both ran, one after the other');
    assert.equal((await checks.counts()).snapshots, 1);
    await checks.assertSurvivesRestart([]);
  });
});
