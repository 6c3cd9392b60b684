// A watch stream fed by a replica on an in-memory network: whatever happens
// to the patches on the way (lost, reordered), a watcher gets every revision
// of its keys once and in order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdProtoRoot } from '@eckd/etcd-proto';
import { createLogger } from '@eckd/service-kit';
import { subjects, lostPut, started, until } from '../../test/fake-backend.js';
import type { StreamResponse } from '../batched-writer.js';
import type { Replica } from '../replica.js';
import { WatchHub } from './watch-hub.js';
import { WatchStream } from './watch-stream.js';
import { toWatchId } from './watcher.js';

const watchResponse = etcdProtoRoot().lookupType('etcdserverpb.WatchResponse');

interface SeenEvent {
  key: string;
  revision: number;
}

/** A watch stream on `replica` and the responses it has written. */
function streamOn(replica: Replica): { stream: WatchStream; responses: StreamResponse[] } {
  const header = (revision: number) => ({ cluster_id: 1, member_id: 2, revision, raft_term: 1 });
  const hub = new WatchHub(replica, header, 60_000);
  const responses: StreamResponse[] = [];
  const stream = new WatchStream({ store: () => replica.store, header, write: (r) => (responses.push(r), true),
    fail: (err) => assert.fail(`the stream failed: ${String(err)}`),
    log: createLogger('watch-stream-spec', { level: 'error' }),
    fragmentBytes: 1 << 20,
    watchersMax: 1000,
  });
  hub.add(stream);
  return { stream, responses };
}

/** A stream with one watcher on keys k..l; returns the events it was sent, decoded. */
function watch(replica: Replica): () => SeenEvent[] {
  const { stream, responses } = streamOn(replica);
  stream.create({ key: Buffer.from('k'), range_end: Buffer.from('l') });
  return () =>
    responses.flatMap((r) => {
      const events = (Buffer.isBuffer(r) ? watchResponse.toObject(watchResponse.decode(r), { longs: Number }) : r)['events'] ?? [];
      return (events as { kv: { key: Uint8Array; mod_revision: number } }[]).map((e) => ({ key: Buffer.from(e.kv.key).toString(), revision: Number(e.kv.mod_revision) }));
    });
}

const expected = (from: number, keys: string[]) => keys.map((key, i) => ({ key, revision: from + i }));

describe('watch stream over a replica', () => {
  for (const { how, keptAfter } of [
    { how: 'incrementally', keptAfter: 0 },
    { how: 'whole (the backend no longer keeps it)', keptAfter: 100 },
  ]) {
    test(`a lost patch, resynced ${how}: the watcher gets its revision once, in order`, async () => {
      const { net, backend, replica } = await started('a');
      const seen = watch(replica);
      backend.put('k1', '1');
      await lostPut(net, backend, 'k2');
      backend.keptAfter = keptAfter;
      backend.put('k3', '3');
      await until(() => seen().length === 3);
      await net.settle();
      assert.deepEqual(seen(), expected(3, ['k1', 'k2', 'k3']));
      assert.equal(backend.syncRequests.length, 2);
    });
  }

  test('patches delivered out of order: nothing twice, nothing skipped', async () => {
    const { net, backend, replica } = await started('a');
    const seen = watch(replica);
    const stopHolding = net.hold((e) => e.subject === subjects.patch);
    for (const key of ['k1', 'k2', 'k3']) backend.put(key, 'v');
    await net.settle();
    stopHolding();
    for (const held of [...net.held].reverse()) held.release(); // 5, then 4 and 3 late
    await until(() => seen().length === 3);
    await net.settle();
    backend.put('k4', 'v');
    await until(() => seen().length === 4);
    assert.deepEqual(seen(), expected(3, ['k1', 'k2', 'k3', 'k4']));
  });
});

describe('watch ids', () => {
  test('client-chosen ids above 2^53 come back exactly in created, event and canceled responses', async () => {
    const { backend, replica } = await started('a');
    const { stream, responses } = streamOn(replica);
    const ids = ['9223372036854775807', '9007199254740993', '-1'];
    for (const [i, id] of ids.entries()) stream.create({ key: Buffer.from(`k${i}`), watch_id: id });
    for (const i of ids.keys()) backend.put(`k${i}`, 'v');
    await until(() => responses.length === 2 * ids.length);
    for (const id of ids) stream.cancel(toWatchId(id));
    // Encoded the way the client receives them: int64 as decimal strings.
    const answers = responses.map((r) => {
      const m = watchResponse.toObject(watchResponse.decode(Buffer.isBuffer(r) ? r : watchResponse.encode(watchResponse.fromObject(r)).finish()), { longs: String });
      return `${String(m['watch_id'])} ${m['created'] ? 'created' : m['canceled'] ? 'canceled' : `events ${(m['events'] as unknown[]).length}`}`;
    });
    assert.deepEqual(answers, [...ids.map((id) => `${id} created`), ...ids.map((id) => `${id} events 1`), ...ids.map((id) => `${id} canceled`)]);
  });
});
