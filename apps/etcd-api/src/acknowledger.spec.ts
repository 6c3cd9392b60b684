import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNetwork } from '@eckd/service-kit';
import { FakeBackend, quietLog, subjects } from '../test/fake-backend.js';
import { Acknowledger } from './acknowledger.js';
import type { AcknowledgerOptions } from './acknowledger.js';
import { Replica } from './replica.js';

function acknowledger(opts: Partial<AcknowledgerOptions> = {}): Acknowledger {
  return new Acknowledger({ frontendId: 'f1', factors: { internal: 1, external: 0 }, timeoutMs: 2_000, waitsMax: 1_000, stallResyncMs: 1_000, log: quietLog, ...opts });
}

describe('acknowledger (the one way to wait for a revision)', () => {
  test('a write waits until persisted and applied here', async () => {
    const ack = acknowledger();
    let done = false;
    const wait = ack.waitForWrite(5, Date.now()).then(() => (done = true));
    ack.persisted(5);
    ack.applied(4);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    ack.applied(5);
    await wait;
    assert.equal(ack.waitingCount, 0);
  });

  test("a request's factors override the node's: other frontends and members are counted", async () => {
    const ack = acknowledger({ factors: { internal: 1, external: 1 } });
    ack.persisted(7);
    ack.applied(7);
    let done = false;
    const wait = ack.waitForWrite(7, Date.now(), { internal: 2, external: 2 }).then(() => (done = true));
    ack.frontendApplied('f1', 7); // its own announcement does not count twice
    ack.frontendApplied('f2', 7);
    ack.peerStored('101', 7);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    ack.peerStored('102', 8);
    await wait;
    // The node's default (external 1) applies when the request names none.
    const defaults = acknowledger({ factors: { internal: 1, external: 1 }, timeoutMs: 50 });
    defaults.persisted(1);
    defaults.applied(1);
    await assert.rejects(defaults.waitForWrite(1, Date.now()), { rpcName: 'Timeout' });
  });

  test("a wait times out with etcd's Timeout, within what is left of the request's deadline", async () => {
    const ack = acknowledger({ timeoutMs: 100 });
    ack.applied(1);
    const started = Date.now();
    await assert.rejects(ack.waitForApplied(2, 50), { rpcName: 'Timeout' });
    await assert.rejects(ack.waitForWrite(2, Date.now() - 90), { rpcName: 'Timeout' });
    assert.ok(Date.now() - started < 1_000);
    assert.equal(ack.waitingCount, 0);
  });

  test('before the replica has loaded its state, nothing counts as applied', async () => {
    const ack = acknowledger();
    let loaded = false;
    const wait = ack.waitForApplied(0, 1_000).then(() => (loaded = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(loaded, false);
    ack.applied(1);
    await wait;
    ack.replicaReset();
    const again = ack.waitForApplied(1, 1_000);
    ack.applied(1);
    await again;
  });

  test('shutdown fails every wait with Stopped; too many waits are refused', async () => {
    const ack = acknowledger({ waitsMax: 2 });
    const waits = [ack.waitForApplied(3, 5_000), ack.waitForWrite(3, Date.now())];
    await assert.rejects(ack.waitForApplied(3, 5_000), { rpcName: 'TooManyRequests' });
    ack.close();
    for (const w of waits) await assert.rejects(w, { rpcName: 'Stopped' });
    assert.equal(ack.waitingCount, 0);
  });

  test('a lost patch on a quiet node: the stall resync lets the committed write be acknowledged', async () => {
    const net = new MemoryNetwork();
    const backend = new FakeBackend(net);
    const ack = acknowledger({ stallResyncMs: 50 });
    const replica = new Replica({ messenger: net.messenger(quietLog), subjects, syncChunkTimeoutMs: 1_000, acknowledger: ack, log: quietLog });
    await replica.start();
    net.drop((e) => e.subject === subjects.patch);
    const revision = backend.put('k', 'v'); // committed; its patch is lost and no other write follows
    ack.persisted(revision); // the backend's reply
    await ack.waitForWrite(revision, Date.now());
    assert.equal(replica.revision, revision);
    assert.equal(backend.syncRequests.length, 2);
  });
});
