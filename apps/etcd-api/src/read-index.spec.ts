import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import { MemoryNetwork } from '@eckd/service-kit';
import { ReadIndex } from './read-index.js';
import type { BarrierReplica } from './read-index.js';

const noReplica: BarrierReplica = { identity: undefined, resync: () => Promise.resolve(), waitFor: () => Promise.resolve() };

/** A backend answering read-index requests with its revision at the time it receives them; replies are held. */
function setUp() {
  const net = new MemoryNetwork();
  const backend = { revision: 1, asked: 0 };
  net.messenger().subscribe('ri', (m) => {
    backend.asked++;
    m.respond(codecs.readIndexReply.encode({ revision: backend.revision, epoch: 'e1' }));
  });
  net.hold((e) => e.subject.startsWith('_INBOX.'));
  const readIndex = new ReadIndex(net.messenger(), 'ri', 1_000, noReplica);
  return { net, backend, readIndex };
}

/** Releases the held replies one by one until `done` settles. */
async function releaseUntil(net: MemoryNetwork, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => (settled = true));
  while (!settled) {
    await net.settle();
    net.release();
    await new Promise((r) => setImmediate(r));
  }
}

describe('read index', () => {
  test('a read that starts while the second round trip is in flight does not take its answer', async () => {
    const { net, backend, readIndex } = setUp();
    const a = readIndex.current();
    await net.settle();
    const b = readIndex.current(); // joins the round trip after a's
    net.release(); // a's reply
    assert.equal((await a).revision, 1);
    await net.settle(); // b's round trip asked at revision 1, its reply held
    assert.equal(backend.asked, 2);
    const c = readIndex.current();
    backend.revision = 2; // a write acknowledged after c began
    await releaseUntil(net, Promise.all([b, c]));
    assert.equal((await b).revision, 1);
    assert.equal((await c).revision, 2, 'c must see the write acknowledged after it began');
  });

  test('reads that start while one round trip is in flight share the next one', async () => {
    const { net, backend, readIndex } = setUp();
    const first = readIndex.current();
    await net.settle();
    const later = [readIndex.current(), readIndex.current(), readIndex.current()];
    await releaseUntil(net, Promise.all([first, ...later]));
    assert.equal(backend.asked, 2);
  });

  test('no responders is etcd\'s timeout', async () => {
    const net = new MemoryNetwork();
    const readIndex = new ReadIndex(net.messenger(), 'ri', 1_000, noReplica);
    await assert.rejects(readIndex.current(), { name: 'EtcdRpcError' });
  });
});
