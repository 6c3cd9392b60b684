import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberRecord } from '@eckd/automerge-doc';
import { memberIdHexOf } from '@eckd/automerge-doc';
import { createLogger } from '@eckd/service-kit';
import { MemberSet } from './member-set.js';

const log = createLogger('member-set-spec', { level: 'error' });
const initial = [
  { name: 'node1', id: '11', band: 0 },
  { name: 'node2', id: '22', band: 1 },
  { name: 'node3', id: '33', band: 2 },
];
const recordOf = (name: string, band: number, change: Partial<MemberRecord> = {}) => ({ name, band, clientUrls: [], peerUrls: [], learner: false, removed: false, ...change });

describe('member set', () => {
  test('before any record: the initial members, bands by position, all counted', () => {
    const set = new MemberSet(initial, '11', log);
    assert.deepEqual(set.peers().map((p) => [p.name, p.band]), [['node2', 1], ['node3', 2]]);
    assert.ok(set.counts('22') && set.counts('33'));
    assert.equal(set.peer('11'), undefined, 'not its own peer');
  });

  test('a removed member is no peer and not counted; a learner is a peer but not counted; a named added member joins', () => {
    const set = new MemberSet(initial, '11', log);
    set.refresh([
      { id: memberIdHexOf('33'), record: recordOf('node3', 2, { removed: true }) },
      { id: memberIdHexOf('44'), record: recordOf('node4', 3, { learner: true }) },
      { id: memberIdHexOf('55'), record: recordOf('', 4) },
    ]);
    assert.deepEqual(set.peers().map((p) => p.name), ['node2', 'node4']);
    assert.equal(set.peer('33'), undefined);
    assert.equal(set.counts('33'), false);
    assert.equal(set.counts('44'), false);
    assert.equal(set.known('33')?.removed, true, 'a removed member stays known: its id is never reused');
    assert.equal(set.peer('55'), undefined, 'a member without a name cannot be addressed yet');
    assert.equal(set.known('55')?.band, 4, 'but it is known: it can be removed and its band is taken');
  });

  test('a member that finds itself removed replicates with nobody', () => {
    const set = new MemberSet(initial, '33', log);
    set.refresh([{ id: memberIdHexOf('33'), record: recordOf('node3', 2, { removed: true }) }]);
    assert.equal(set.selfRemoved, true);
    assert.deepEqual(set.peers(), []);
    assert.equal(set.peer('11'), undefined);
  });
});
