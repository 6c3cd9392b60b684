// What a watch answers when something fails: compaction cancels the watch
// with the compact revision, any other error cancels it with the error's
// text (and is logged), and a replica that does not become ready within the
// request timeout ends the stream with etcd's UNAVAILABLE timeout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Metadata } from '@grpc/grpc-js';
import type { ServerDuplexStream, ServiceError } from '@grpc/grpc-js';
import { MvccStore } from '@eckd/mvcc';
import type { RevisionPatch } from '@eckd/mvcc';
import type { Logger } from '@eckd/service-kit';
import { AuthGuard } from '../auth/auth-guard.js';
import { AuthReplica } from '../auth/auth-replica.js';
import type { AuthReplicaOptions } from '../auth/auth-replica.js';
import { SimpleTokens } from '../auth/tokens.js';
import type { StreamResponse } from '../batched-writer.js';
import type { Replica } from '../replica.js';
import { EtcdRpcError } from '../to-grpc-error.js';
import { watchHandlers } from '../watch.handler.js';
import type { WatchHub } from './watch-hub.js';
import { WatchStream } from './watch-stream.js';

function recordingLog(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const log = { errors, debug: () => {}, info: () => {}, warn: () => {}, error: (msg: string) => void errors.push(msg), child: () => log };
  return log;
}

function storeWithHistory(revisions: number): MvccStore {
  const store = new MvccStore();
  for (let i = 0; i < revisions; i++) store.write({ put: { key: Buffer.from('k'), value: Buffer.from(`v${i}`) } }, { leaseExists: () => true });
  return store;
}

function streamOn(store: MvccStore, log: Logger, watchersMax = 1000): { stream: WatchStream; sent: Record<string, unknown>[]; failed: unknown[] } {
  const sent: Record<string, unknown>[] = [];
  const failed: unknown[] = [];
  const stream = new WatchStream({
    store: () => store,
    header: (revision) => ({ revision }),
    write: (response) => {
      if (!Buffer.isBuffer(response)) sent.push(response);
      return true;
    },
    fail: (err) => void failed.push(err),
    log,
    fragmentBytes: 1 << 20,
    watchersMax,
  });
  return { stream, sent, failed };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('watch errors', () => {
  test('a catch-up that meets compaction cancels the watch with the compact revision', async () => {
    const store = storeWithHistory(5);
    store.compact(4);
    const { stream, sent } = streamOn(store, recordingLog());
    stream.create({ key: Buffer.from('k'), start_revision: 2 });
    await settle();
    assert.deepEqual(sent.at(-1), { header: { revision: 0 }, watch_id: 0, canceled: true, compact_revision: 4 });
  });

  test('a create beyond watchersMax is answered created and canceled, as etcd answers a create it cannot serve', () => {
    const { stream, sent } = streamOn(new MvccStore({ revision: 3 }), recordingLog(), 2);
    for (const key of ['a', 'b', 'c']) stream.create({ key: Buffer.from(key) });
    assert.deepEqual(sent.at(-1), { header: { revision: 3 }, watch_id: -1, created: true, canceled: true, cancel_reason: 'etcdserver: too many requests' });
    assert.equal(stream.watcherCount, 2);
    stream.cancel(0);
    stream.create({ key: Buffer.from('c') });
    assert.equal(stream.watcherCount, 2, 'room again after a cancel');
  });

  test('any other error cancels the watch with its message and is logged, not turned into a compaction', async () => {
    class BrokenStore extends MvccStore {
      override eventsBetween(): RevisionPatch[] {
        throw new Error('history unreadable');
      }
    }
    const store = new BrokenStore({ revision: 6 });
    const log = recordingLog();
    const { stream, sent } = streamOn(store, log);
    stream.create({ key: Buffer.from('k'), start_revision: 2 });
    await settle();
    const canceled = sent.at(-1)!;
    assert.equal(canceled['canceled'], true);
    assert.equal(canceled['cancel_reason'], 'history unreadable');
    assert.equal(canceled['compact_revision'], undefined);
    assert.deepEqual(log.errors, ['watch canceled by an error']);
    assert.equal(stream.watcherCount, 0);
  });

  test('a replica that is not ready within the request timeout ends the stream with etcd\'s timeout (UNAVAILABLE)', async () => {
    const waited: number[] = [];
    const replica = {
      store: new MvccStore(),
      waitFor: (_revision: number, timeoutMs: number) => {
        waited.push(timeoutMs);
        return Promise.reject(new EtcdRpcError('Timeout', 'replica did not reach revision 0'));
      },
    } as unknown as Replica;
    const hubStreams = new Set<WatchStream>();
    const hub = { add: (s: WatchStream) => hubStreams.add(s), remove: (s: WatchStream) => hubStreams.delete(s) } as unknown as WatchHub;
    const handlers = watchHandlers({ replica, hub, header: (revision) => ({ revision }), fragmentBytes: 1 << 20, watchersPerStreamMax: 1000, streamQueuedBytesMax: 4 << 20, requestTimeoutMs: 1_234, guard: disabledAuth(), log: recordingLog() });

    const call = Object.assign(new EventEmitter(), { metadata: new Metadata(), getAuthContext: () => ({}), writableLength: 0, write: () => true, end: () => undefined });
    const ended = new Promise<ServiceError>((resolve) => call.once('error', resolve));
    handlers.Watch(call as unknown as ServerDuplexStream<never, StreamResponse>);
    call.emit('data', { create_request: { key: Buffer.from('k') } });
    const err = await ended;
    assert.equal(err.code, 14);
    assert.equal(err.details, 'etcdserver: request timed out');
    assert.deepEqual(waited, [1_234]);
    assert.equal(hubStreams.size, 0, 'the stream left the hub');
  });
});

/** A guard whose auth replica never started: auth disabled, every request passes. */
function disabledAuth(): AuthGuard {
  return new AuthGuard(new AuthReplica({} as AuthReplicaOptions), new SimpleTokens(1000));
}
