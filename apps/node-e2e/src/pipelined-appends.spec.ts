// Pipelined appends (ARCHITECTURE §2) under kills: several writers keep
// appends in flight while the persister and the backend are killed with
// SIGKILL, again and again. Afterwards every acknowledged write is there
// with its value and revision, no revision was acknowledged twice, and the
// history etcd clients see (a watch from revision 2) has every revision up
// to the current one, none missing: the persister never stored an append
// whose predecessor it did not have.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { assertAckedStored, putUntilServed, startWriters } from './acked-writes.js';

/** The node must serve writes again within this after the last kill. */
const recoveryBoundMs = 20_000;

let f: NodeFixture;
before(async () => {
  // Four appends in flight: more of them are struck by each kill than with
  // the default two. Short timeouts, so writes lost with a killed process
  // fail (and their writers go on) within a round.
  f = await startNodeFixture({
    frontends: 2,
    nodeName: 'pipelined',
    roleEnv: { backend: { ECKD_APPENDS_IN_FLIGHT_MAX: '4', ECKD_APPEND_TIMEOUT_MS: '1000' }, frontend: { ECKD_REQUEST_TIMEOUT_MS: '3000' } },
  });
});
after(async () => {
  await f?.stop();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL of the persister and the backend with appends in flight: no acknowledged write lost, revisions gap-free', { timeout: 180_000 }, async () => {
  const { node } = f;
  const clients = node.endpoints.map((e, i) => new Etcd3({ hosts: [`http://${e}`, `http://${node.endpoints[1 - i]}`] }));
  const writers = startWriters(clients, 8, 'pipe/', 20);
  const { acked } = writers;
  const kill = async (proc: typeof node.processes.backend) => {
    await proc.kill('SIGKILL');
    await proc.exited;
    await proc.restart();
  };
  // Each kill strikes while writes flow (so appends are in flight): it waits until 50 more were acknowledged.
  const flowing = async () => {
    const target = acked.length + 50;
    const until = Date.now() + recoveryBoundMs;
    while (acked.length < target) {
      assert.ok(Date.now() < until, `writes did not resume: ${acked.length} acknowledged, ${writers.failed()} failed`);
      await pause(20);
    }
  };
  try {
    for (let round = 0; round < 3; round++) {
      await flowing();
      await kill(node.processes.persister);
      await flowing();
      await kill(node.processes.backend);
    }
    await flowing();
  } finally {
    await writers.stop();
  }
  await putUntilServed(clients, 'pipe/after/', recoveryBoundMs);

  const stored = await clients[1]!.getAll().prefix('pipe/').exec();
  assertAckedStored(stored.kvs, acked);
  const revisions = acked.map((a) => a.revision);
  assert.equal(new Set(revisions).size, revisions.length, 'no revision acknowledged twice');
  assert.ok(acked.length > 100, `enough load: ${acked.length} acknowledged, ${writers.failed()} failed`);

  // Every revision from 2 to the current one is in the history, once.
  const head = Number(stored.header.revision);
  const seen = new Set<number>();
  const watcher = await clients[0]!.watch().prefix('').startRevision('2').create();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`history stopped at ${Math.max(0, ...seen)} of ${head}`)), 30_000);
      watcher.on('data', (res) => {
        for (const event of res.events) seen.add(Number(event.kv.mod_revision));
        if (seen.has(head)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await watcher.cancel();
  }
  const missing = Array.from({ length: head - 1 }, (_, i) => i + 2).filter((r) => !seen.has(r));
  assert.deepEqual(missing, [], `revisions missing from the history up to ${head}`);
  console.log(`pipelined appends: ${acked.length} writes acknowledged, ${writers.failed()} failed during kills, history 2..${head} complete`);
  for (const c of clients) c.close();
});
