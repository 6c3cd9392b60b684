// An Observe stream's view of an election, driven by a real store's
// revisions: it follows etcd's Election.Observe (the leader, its puts, the
// next leader after a delete), and sends each version of a leader once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MvccStore } from '@eckd/mvcc';
import type { WriteOp } from '@eckd/mvcc';
import { LeaderObserver } from './leader-observer.js';
import type { LeaderUpdate } from './leader-observer.js';

const header = (revision: number) => ({ cluster_id: 1, member_id: 2, revision, raft_term: 1 });
const noLeases = { leaseExists: () => false };

function setUp() {
  const store = new MvccStore();
  const sent: { revision: number; key: string; value: string }[] = [];
  const record = (u: LeaderUpdate) => sent.push({ revision: u.header.revision, key: u.kv.key.toString(), value: u.kv.value.toString() });
  const replica = { store, get revision() { return store.revision; } };
  const observer = new LeaderObserver(Buffer.from('el/'), replica, header, record);
  /** Applies a write and tells the observer, as prefix-waits does for a revision with events under its prefix. */
  const apply = (op: WriteOp) => {
    const { revision, events } = store.write(op, noLeases);
    observer.revision({ revision, events }, events.map((e) => e.kv.key.toString('latin1')));
  };
  const put = (key: string, value: string) => apply({ put: { key: Buffer.from(key), value: Buffer.from(value) } });
  const del = (key: string) => apply({ delete_range: { key: Buffer.from(key) } });
  return { store, sent, observer, put, del };
}

describe('LeaderObserver', () => {
  test('without a leader it waits for the first put under the prefix, then follows that key', () => {
    const { sent, observer, put, del } = setUp();
    observer.lookUp();
    assert.deepEqual(sent, []);
    put('el/a', '1');
    put('el/b', '2');
    put('el/a', '1b');
    assert.deepEqual(sent, [
      { revision: 2, key: 'el/a', value: '1' },
      { revision: 4, key: 'el/a', value: '1b' },
    ]);
    del('el/a');
    assert.deepEqual(sent.at(-1), { revision: 5, key: 'el/b', value: '2' }, 'the next leader, at the revision of the look-up');
    put('el/a', 'again');
    assert.equal(sent.length, 3, 'a key created after the leader does not lead');
    del('el/b');
    assert.deepEqual(sent.at(-1), { revision: 7, key: 'el/a', value: 'again' });
  });

  test('it starts with the current leader, and a look-up of an unchanged leader sends nothing', () => {
    const { store, sent, observer } = setUp();
    // Written before the stream began: the observer is not told of them.
    store.write({ put: { key: Buffer.from('el/x'), value: Buffer.from('1') } }, noLeases);
    store.write({ put: { key: Buffer.from('el/y'), value: Buffer.from('2') } }, noLeases);
    observer.lookUp();
    assert.deepEqual(sent, [{ revision: 3, key: 'el/x', value: '1' }]);
    observer.resynced();
    assert.equal(sent.length, 1);
  });

  test('a deleted last leader leaves it waiting for the next put', () => {
    const { sent, observer, put, del } = setUp();
    observer.lookUp();
    put('el/x', '1');
    del('el/x');
    assert.equal(sent.length, 1);
    put('el/z', '3');
    assert.deepEqual(sent.at(-1), { revision: 4, key: 'el/z', value: '3' });
    assert.equal(sent.length, 2);
  });
});
