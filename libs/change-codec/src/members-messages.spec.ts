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
    const change = { kind: 'UPDATE' as const, id: '18446744073709551615', peer_urls: ['http://10.0.0.1:2380'], is_learner: false };
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

  test('an add names no member and carries is_learner; the reply carries the new id', () => {
    const add = { kind: 'ADD' as const, id: '0', peer_urls: ['http://n4:2380'], is_learner: true };
    const decoded = membersCodecs.memberChangeRequest.decode(membersCodecs.memberChangeRequest.encode(add));
    assert.deepEqual(decoded, add);
    assert.equal(validators.memberChangeRequest(decoded), undefined);
    assert.ok(validators.memberChangeRequest({ ...add, id: '7' }));
    assert.equal(membersCodecs.memberChangeReply.decode(membersCodecs.memberChangeReply.encode({ id: '18446744073709551615' })).id, '18446744073709551615');
  });

  test('band reservations and joins round-trip; a reservation names its member', () => {
    const reserve = { cluster_id: '1', from: '2', band: 3, member: '18446744073709551615' };
    assert.deepEqual(membersCodecs.bandReserve.decode(membersCodecs.bandReserve.encode(reserve)), reserve);
    assert.equal(validators.bandReserve(reserve), undefined);
    assert.ok(validators.bandReserve({ ...reserve, member: '0' }));
    assert.deepEqual(membersCodecs.bandReply.decode(membersCodecs.bandReply.encode({ granted: false, holder: '9' })), { granted: false, holder: '9' });
    const join = { cluster_id: '1', name: 'node4', peer_url: 'http://n4:2380' };
    assert.deepEqual(membersCodecs.memberJoin.decode(membersCodecs.memberJoin.encode(join)), join);
    assert.ok(validators.memberJoin({ ...join, name: '' }));
    const entry = { id: '5', name: 'node4', band: 3, peer_urls: ['http://n4:2380'], learner: true, removed: false };
    const reply = membersCodecs.memberJoinReply.decode(membersCodecs.memberJoinReply.encode({ members: [entry] }));
    assert.deepEqual(reply.members, [entry]);
    assert.equal(validators.memberJoinReply(reply), undefined);
  });
});
