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

  test('a member change names its kind and a member id; the id travels as a decimal string', () => {
    const change = { kind: 'UPDATE' as const, id: '18446744073709551615', peer_urls: ['http://10.0.0.1:2380'] };
    const decoded = membersCodecs.memberChangeRequest.decode(membersCodecs.memberChangeRequest.encode(change));
    assert.deepEqual(decoded, change);
    assert.equal(validators.memberChangeRequest(decoded), undefined);
    assert.ok(validators.memberChangeRequest({ ...change, id: '0' }));
    assert.ok(validators.memberChangeRequest(membersCodecs.memberChangeRequest.decode(membersCodecs.memberChangeRequest.encode({ ...change, kind: 'REMOVE' }))) === undefined);
    const unspecified = membersCodecs.memberChangeRequest.decode(membersCodecs.memberChangeRequest.encode({ id: '1', peer_urls: [] } as never));
    assert.ok(validators.memberChangeRequest(unspecified));
    const refused = { error: { name: 'MemberNotFound' as const, message: 'etcdserver: member not found' } };
    assert.deepEqual(membersCodecs.memberChangeReply.decode(membersCodecs.memberChangeReply.encode(refused)).error, refused.error);
  });
});
