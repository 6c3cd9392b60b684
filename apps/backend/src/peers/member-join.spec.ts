import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberRecord } from '@eckd/automerge-doc';
import { memberIdHexOf } from '@eckd/automerge-doc';
import { createLogger } from '@eckd/service-kit';
import { decideJoin, memberTableOf } from './member-join.js';
import { MemberSet } from './member-set.js';

const log = createLogger('member-join-spec', { level: 'error' });
const initial = [
  { name: 'node1', id: '11', band: 0 },
  { name: 'node2', id: '22', band: 1 },
];
const added: MemberRecord = { name: '', band: 2, clientUrls: [], peerUrls: ['http://n3:2380'], learner: true, removed: false };
const join = (name: string, url = 'http://n3:2380') => ({ cluster_id: '1', name, peer_url: url });
const errorOf = (d: ReturnType<typeof decideJoin>) => ('error' in d ? d.error.name : undefined);

describe('member join', () => {
  test('the record holding the peer URL gets the name; a restart is answered as it stands', () => {
    const members = new MemberSet(initial, '11', log);
    const table = [{ id: memberIdHexOf('33'), record: added }];
    const first = decideJoin(join('node3'), table, members);
    assert.ok('record' in first && first.write && first.record.name === 'node3' && first.record.learner && first.idHex === memberIdHexOf('33'));
    const named = [{ id: memberIdHexOf('33'), record: first.record }];
    const again = decideJoin(join('node3'), named, members);
    assert.ok('record' in again && !again.write);
    assert.deepEqual(memberTableOf(named), [{ id: '33', name: 'node3', band: 2, peer_urls: ['http://n3:2380'], learner: true, removed: false }]);
  });

  test('no record for the URL, a removed one, a record named otherwise, or a name another member holds: refused', () => {
    const members = new MemberSet(initial, '11', log);
    const table = [{ id: memberIdHexOf('33'), record: added }];
    assert.equal(errorOf(decideJoin(join('node3', 'http://other:1'), table, members)), 'MemberNotFound');
    assert.equal(errorOf(decideJoin(join('node3'), [{ id: memberIdHexOf('33'), record: { ...added, removed: true } }], members)), 'MemberNotFound');
    assert.equal(errorOf(decideJoin(join('node4'), [{ id: memberIdHexOf('33'), record: { ...added, name: 'node3' } }], members)), 'PeerURLExist');
    assert.equal(errorOf(decideJoin(join('node2'), table, members)), 'MemberExist');
  });
});
