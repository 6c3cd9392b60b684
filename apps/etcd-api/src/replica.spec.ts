import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNetwork } from '@eckd/service-kit';
import { FakeBackend, frontend, lostPut, started, until } from '../test/fake-backend.js';
import type { Replica } from './replica.js';

const valueOf = (replica: Replica, key: string) => replica.store.kvAt(Buffer.from(key))?.value.toString();
const asked = (b: FakeBackend) => b.syncRequests.map((r) => `${String(r.after_revision)}@${r.epoch}`);

describe('replica', () => {
  test('starts from the whole state, then applies each published patch', async () => {
    const { backend, replica, events } = await started('a');
    assert.equal(replica.revision, 2);
    backend.put('b', '2');
    await replica.waitFor(3, 1_000);
    assert.equal(valueOf(replica, 'b'), '2');
    assert.deepEqual(asked(backend), ['0@']);
    assert.deepEqual(events, ['replaced 2', 'applied 2..3']);
  });

  test('a gap resyncs incrementally: only the revisions after its own', async () => {
    const { net, backend, replica, events } = await started('a');
    await lostPut(net, backend);
    backend.put('c', '3');
    await replica.waitFor(4, 1_000);
    assert.equal(valueOf(replica, 'lost'), 'x');
    assert.deepEqual(asked(backend), ['0@', '2@epoch-1']);
    assert.deepEqual(events, ['replaced 2', 'applied 2..4'], 'the missed revisions reach the listeners as applied');
  });

  test('a gap the backend no longer keeps: the whole state', async () => {
    const { net, backend, replica, events } = await started();
    await lostPut(net, backend);
    backend.keptAfter = 3;
    backend.put('c', '3');
    await replica.waitFor(3, 1_000);
    assert.equal(valueOf(replica, 'lost'), 'x');
    assert.deepEqual(asked(backend), ['0@', '1@epoch-1']);
    assert.deepEqual(events, ['replaced 1', 'replaced 3']);
  });

  test('a restarted backend (new epoch) is taken whole, even with fewer revisions', async () => {
    const { backend, replica, events } = await started('a', 'b');
    assert.equal(replica.revision, 3);
    backend.restart(2); // revision 3 was not durable
    backend.put('b', 'after'); // its patch carries the new epoch
    await until(() => backend.syncRequests.length === 2 && replica.ready);
    assert.equal(replica.revision, 3);
    assert.equal(valueOf(replica, 'b'), 'after');
    assert.deepEqual(asked(backend), ['0@', "3@epoch-1"], 'it asked incrementally; the backend answered with the whole state');
    assert.deepEqual(events, ['replaced 3', 'replaced 3']);
  });

  test('patches that arrive during a sync are applied after it', async () => {
    const net = new MemoryNetwork();
    const backend = new FakeBackend(net);
    const release = net.hold((e) => e.subject.startsWith('_INBOX.'));
    const { replica } = frontend(net);
    const started = replica.start();
    await until(() => net.held.length === 1); // the sync reply: the state at revision 1
    backend.put('during', 'sync');
    await net.settle();
    release();
    net.release();
    await started;
    await replica.waitFor(2, 1_000);
    assert.equal(valueOf(replica, 'during'), 'sync');
  });
});
