import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { membersCodecs } from './members-messages.js';
import { validators } from './validate.js';

describe('members messages', () => {
  test('a members reply carries etcd members with uint64 ids as decimal strings', () => {
    const member = { ID: '18446744073709551615', name: 'n1', peerURLs: [], clientURLs: ['http://127.0.0.1:2379'], isLearner: false };
    const decoded = membersCodecs.membersReply.decode(membersCodecs.membersReply.encode({ members: [member] }));
    assert.deepEqual(decoded.members, [member]);
    assert.equal(validators.membersReply(decoded), undefined);
    assert.ok(validators.membersReply({ members: [{ ...member, ID: '0' }] }));
  });

  test('an announcement needs a frontend id and at most 64 client URLs', () => {
    const announcement = { frontend_id: 'n1-1-abc', client_urls: ['http://127.0.0.1:2379'], name: 'n1' };
    assert.deepEqual(membersCodecs.frontendAnnouncement.decode(membersCodecs.frontendAnnouncement.encode(announcement)), announcement);
    assert.equal(validators.frontendAnnouncement(announcement), undefined);
    assert.ok(validators.frontendAnnouncement({ ...announcement, frontend_id: '' }));
    assert.ok(validators.frontendAnnouncement({ ...announcement, client_urls: Array.from({ length: 65 }, (_, i) => `http://h:${i}`) }));
  });
});
