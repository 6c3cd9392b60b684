// Faults under a steady write load through two frontends: each process type
// is killed with SIGKILL and restarted, Postgres crashes and restarts, NATS
// restarts. Afterwards every acknowledged write is there with its value and
// revision, no revision was given to two writes, and the node serves again
// within a stated time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startNatsServer, startNode, startPostgresServer, subjectPrefix } from '@eckd/testing';
import type { EckdNode, NatsServer, PostgresServer } from '@eckd/testing';
import { assertAckedStored, putUntilServed, startWriters } from './acked-writes.js';
import type { Acked } from './acked-writes.js';

/** The node must serve writes through both frontends within this after the last fault. */
const recoveryBoundMs = 15_000;

let nats: NatsServer;
let pgServer: PostgresServer;
let node: EckdNode;

before(async () => {
  nats = await startNatsServer();
  pgServer = await startPostgresServer();
  node = await startNode({
    natsUrl: nats.url,
    databaseUrl: pgServer.url,
    subjectPrefix: subjectPrefix(),
    frontends: 2,
    nodeName: 'faults',
    // The document's history is cut whenever it holds more ops than live keys
    // (and 200), so the faults also strike cuts under way and just stored.
    roleEnv: { backend: { ECKD_REBASE_OPS: '200', ECKD_REBASE_OPS_PER_KEY: '1' } },
  });
});
after(async () => {
  await node?.stop();
  await Promise.allSettled([nats?.stop(), pgServer?.stop()]);
});

test('no acknowledged write is lost and no revision is reused through process, Postgres and NATS faults', async () => {
  const clients = node.endpoints.map((e, i) => new Etcd3({ hosts: [`http://${e}`, `http://${node.endpoints[1 - i]}`] }));
  const writers = startWriters(clients, 4, 'fault/', 50);
  const { acked } = writers;
  let failed = 0;
  let running = true;
  // Two more writers overwrite ten keys each: the ops that make the document's history worth cutting.
  const hotAcked = new Map<string, Acked>();
  const hotWriter = async (w: number) => {
    const client = clients[w % 2]!;
    for (let n = 0; running; n++) {
      const key = `fault/hot/${w}/${n % 10}`;
      try {
        const res = await client.put(key).value(`v${n}`).exec();
        hotAcked.set(key, { key, value: `v${n}`, revision: Number(res.header.revision) });
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const hotWriters = [4, 5].map(hotWriter);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const bounce = async (proc: EckdNode['processes']['backend']) => {
    await proc.kill('SIGKILL');
    await proc.exited;
    await proc.restart();
  };
  try {
    await pause(1_500);
    await bounce(node.processes.frontends[0]!);
    await pause(1_500);
    await bounce(node.processes.backend);
    await pause(1_500);
    await bounce(node.processes.persister);
    await pause(1_500);
    await pgServer.restart({ crash: true, downMs: 500 });
    await pause(2_000);
    await nats.restart({ downMs: 300 });
    await pause(2_000);
  } finally {
    running = false;
    await Promise.all([writers.stop(), ...hotWriters]);
  }
  failed += writers.failed();

  // Serving again: a write through each frontend succeeds.
  const recoveredMs = await putUntilServed(clients, 'fault/after/', recoveryBoundMs);

  const stored = await clients[1]!.getAll().prefix('fault/').exec();
  assertAckedStored(stored.kvs, acked);
  const byKey = new Map(stored.kvs.map((kv) => [kv.key.toString(), kv]));
  // An overwritten key holds its last acknowledged write, or a later one that failed only in its answer.
  for (const a of hotAcked.values()) {
    const kv = byKey.get(a.key);
    assert.ok(kv && Number(kv.mod_revision) >= a.revision, `${a.key}: acknowledged at revision ${a.revision}, stored at ${kv?.mod_revision}`);
    if (Number(kv.mod_revision) === a.revision) assert.equal(kv.value.toString(), a.value);
  }
  const revisions = [...acked, ...hotAcked.values()].map((a) => a.revision);
  assert.equal(new Set(revisions).size, revisions.length, 'no revision acknowledged twice');
  assert.ok(acked.length > 100, `enough load: ${acked.length} acknowledged, ${failed} failed`);
  console.log(`faults: ${acked.length} writes acknowledged, ${failed} failed during faults, serving again ${recoveredMs} ms after the last fault`);
  for (const c of clients) c.close();
});
