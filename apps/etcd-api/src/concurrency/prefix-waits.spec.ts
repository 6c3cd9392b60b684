// The frontend's waiting calls: each is told about the revisions with
// events under its prefix (and only those, once per revision), the bound
// on open calls answers etcd's `too many requests`, and stopping ends them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccStore } from '@eckd/mvcc';
import type { ReplicaListener } from '../replica.js';
import { PrefixWaits, WaitsFull, WaitsStopped } from './prefix-waits.js';
import type { PrefixWaiter } from './prefix-waits.js';

const noLeases = { leaseExists: () => false };

function setUp(openMax = 10) {
  const store = new MvccStore();
  let listener: ReplicaListener | undefined;
  const waits = new PrefixWaits({ store, listen: (l) => (listener = l) }, openMax);
  /** Writes, then tells the waits as the replica does after applying. */
  const put = (...keys: string[]) => {
    const from = store.revision;
    store.write({ txn: { success: keys.map((k) => ({ request_put: { key: Buffer.from(k), value: Buffer.from('v') } })) } }, noLeases);
    listener!.applied(from, store.revision);
  };
  return { waits, put };
}

function recorder(prefix: string) {
  const seen: number[] = [];
  const events: string[] = [];
  const waiter: PrefixWaiter = {
    prefix,
    revision: (patch) => void seen.push(patch.revision),
    resynced: () => void events.push('resynced'),
    stopped: (err) => void events.push(err.message),
  };
  return { waiter, seen, events };
}

describe('PrefixWaits', () => {
  test('a waiter hears of the revisions with a key under its prefix, once each', () => {
    const { waits, put } = setUp();
    const a = recorder('a/');
    const ab = recorder('a/b/');
    waits.add(a.waiter);
    waits.add(ab.waiter);
    put('a/x'); // 2
    put('ab'); // 3
    put('a/b/c', 'a/b/d'); // 4
    put('b/a/x'); // 5
    assert.deepEqual(a.seen, [2, 4]);
    assert.deepEqual(ab.seen, [4]);
    waits.remove(a.waiter);
    put('a/b/e'); // 6
    assert.deepEqual(a.seen, [2, 4]);
    assert.deepEqual(ab.seen, [4, 6]);
    waits.replaced();
    assert.deepEqual(ab.events, ['resynced']);
  });

  test("past the bound enter answers etcd's too many requests; stop ends the waiters and refuses new calls", () => {
    const { waits } = setUp(2);
    waits.enter();
    waits.enter();
    assert.throws(() => waits.enter(), WaitsFull);
    waits.leave();
    waits.enter();
    const w = recorder('n/');
    waits.add(w.waiter);
    waits.stop();
    assert.equal(w.events.length, 1);
    assert.throws(() => waits.enter(), WaitsStopped);
  });
});
