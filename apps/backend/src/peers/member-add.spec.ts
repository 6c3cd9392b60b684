import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument, memberIdHexOf } from '@eckd/automerge-doc';
import type { MemberChangeReply, MemberChangeRequest } from '@eckd/change-codec';
import { createLogger } from '@eckd/service-kit';
import { MemberAdds, decideBandGrant, decideMemberAdd, mintMemberId } from './member-add.js';
import { MemberSet } from './member-set.js';

const log = createLogger('member-add-spec', { level: 'error' });
const initial = [
  { name: 'node1', id: '11', band: 0 },
  { name: 'node2', id: '22', band: 1 },
];
const add = (peerUrls: string[], learner = false): MemberChangeRequest => ({ kind: 'ADD', id: '0', peer_urls: peerUrls, is_learner: learner });
const errorOf = (d: ReturnType<typeof decideMemberAdd>) => ('error' in d ? d.error.name : undefined);

describe('member add', () => {
  test('the lowest band no record and no live reservation holds; bad or used peer URLs refused', () => {
    const members = new MemberSet(initial, '11', log);
    const fresh = decideMemberAdd(add(['http://n3:2380'], true), members, []);
    assert.ok('band' in fresh && fresh.band === 2 && fresh.record.learner && fresh.record.name === '');
    const reserved = [{ band: 2, values: [{ member: memberIdHexOf('99'), by: memberIdHexOf('22'), released: false }] }];
    const next = decideMemberAdd(add(['http://n3:2380']), members, reserved);
    assert.ok('band' in next && next.band === 3, 'a live reservation holds its band');
    const released = [{ band: 2, values: [{ member: memberIdHexOf('99'), by: memberIdHexOf('22'), released: true }] }];
    const again = decideMemberAdd(add(['http://n3:2380']), members, released);
    assert.ok('band' in again && again.band === 2, 'a released band is free again');
    assert.equal(errorOf(decideMemberAdd(add(['n3:2380']), members, [])), 'MemberBadURLs');
    assert.equal(errorOf(decideMemberAdd(add([]), members, [])), 'MemberBadURLs');
    members.refresh([{ id: memberIdHexOf('22'), record: { name: 'node2', band: 1, clientUrls: [], peerUrls: ['http://n2:2380'], learner: false, removed: false } }]);
    assert.equal(errorOf(decideMemberAdd(add(['http://n2:2380']), members, [])), 'PeerURLExist');
  });

  test('all 32 bands taken: not capable', () => {
    const members = new MemberSet(initial, '11', log);
    const reserved = Array.from({ length: 30 }, (_, i) => ({ band: i + 2, values: [{ member: memberIdHexOf(String(100 + i)), by: memberIdHexOf('11'), released: false }] }));
    assert.equal(errorOf(decideMemberAdd(add(['http://n3:2380']), members, reserved)), 'NotCapable');
  });

  test("a voter grants a free band or its own new member's reservation, refuses another's", () => {
    const members = new MemberSet(initial, '22', log);
    assert.deepEqual(decideBandGrant(2, memberIdHexOf('99'), members, []), { granted: true, holder: '0' });
    assert.equal(decideBandGrant(1, memberIdHexOf('99'), members, []).granted, false, 'a member holds band 1');
    const reserved = [{ band: 2, values: [{ member: memberIdHexOf('98'), by: memberIdHexOf('22'), released: false }] }];
    assert.deepEqual(decideBandGrant(2, memberIdHexOf('99'), members, reserved), { granted: false, holder: '98' });
    const same = [{ band: 2, values: [{ member: memberIdHexOf('99'), by: memberIdHexOf('11'), released: false }] }];
    assert.equal(decideBandGrant(2, memberIdHexOf('99'), members, same).granted, true);
    const givenUp = [{ band: 2, values: [{ member: memberIdHexOf('99'), by: memberIdHexOf('11'), released: true }] }];
    assert.equal(decideBandGrant(2, memberIdHexOf('99'), members, givenUp).granted, false, 'a late request of an add given up');
  });

  test("a voter's grant concurrent with the adder's release of it does not hold the band", () => {
    const members = new MemberSet(initial, '11', log);
    const values = [
      { member: memberIdHexOf('99'), by: memberIdHexOf('11'), released: false },
      { member: memberIdHexOf('99'), by: memberIdHexOf('11'), released: true },
    ];
    const decided = decideMemberAdd(add(['http://n3:2380']), members, [{ band: 2, values }]);
    assert.ok('band' in decided && decided.band === 2);
  });

  test('ids are minted from the peer URLs, cluster and time: a re-added member gets a new id', () => {
    assert.equal(mintMemberId('1', ['http://b:1', 'http://a:1'], 5), mintMemberId('1', ['http://a:1', 'http://b:1'], 5));
    assert.notEqual(mintMemberId('1', ['http://a:1'], 5), mintMemberId('1', ['http://a:1'], 6));
  });

  test('two adders racing for one band: each holds its reservation, refuses the other, both release; nobody is added', async () => {
    const docs = { '11': createKvDocument(), '22': createKvDocument() };
    const sets = { '11': new MemberSet(initial, '11', log), '22': new MemberSet(initial, '22', log) };
    const adders: Record<string, MemberAdds> = {};
    for (const self of ['11', '22'] as const) {
      const other = self === '11' ? '22' : '11';
      adders[self] = new MemberAdds({
        selfIdHex: memberIdHexOf(self),
        clusterId: '1',
        // The other voter answers in its apply loop, before any replication; a refusal is answered at once.
        askVoter: (voter, band, member) =>
          new Promise((resolve) => {
            adders[other]!.askedToGrant({ name: voter.name, id: self, band: 0 }, band, member, (reply) => resolve(reply.granted));
            adders[other]!.apply(docs[other], sets[other]);
          }),
        wake: () => undefined,
        log,
      });
    }
    const replies: Promise<MemberChangeReply>[] = [];
    for (const self of ['11', '22'] as const) replies.push(new Promise((resolve) => adders[self]!.begin(docs[self], sets[self], add([`http://new${self}:2380`]), resolve)));
    assert.deepEqual(docs['11'].bandReservations().map((r) => r.band), [2]);
    assert.deepEqual(docs['22'].bandReservations().map((r) => r.band), [2]);
    for (const self of ['11', '22'] as const) adders[self]!.whenAppended()(() => sets[self].peers());
    await new Promise((resolve) => setImmediate(resolve));
    for (const self of ['11', '22'] as const) {
      assert.ok(adders[self]!.hasWork());
      adders[self]!.apply(docs[self], sets[self]);
      adders[self]!.whenAppended()(() => []);
    }
    const answered = await Promise.all(replies);
    assert.deepEqual(answered.map((r) => r.error?.name), ['Unhealthy', 'Unhealthy']);
    for (const doc of Object.values(docs)) {
      assert.deepEqual(doc.members(), [], 'no record written');
      assert.ok(doc.bandReservations().every((r) => r.values.every((v) => v.released)), 'the band is given back');
    }
  });

  test('a voter not answering: unhealthy cluster, no record, the band released and free again', async () => {
    const doc = createKvDocument();
    const members = new MemberSet(initial, '11', log);
    const adder = new MemberAdds({ selfIdHex: memberIdHexOf('11'), clusterId: '1', askVoter: () => Promise.resolve(false), wake: () => undefined, log });
    const reply = new Promise<MemberChangeReply>((resolve) => adder.begin(doc, members, add(['http://n3:2380']), resolve));
    adder.whenAppended()(() => members.peers());
    await new Promise((resolve) => setImmediate(resolve));
    adder.apply(doc, members);
    adder.whenAppended()(() => []);
    assert.equal((await reply).error?.name, 'Unhealthy');
    assert.deepEqual(doc.members(), []);
    const next = decideMemberAdd(add(['http://n3:2380']), members, doc.bandReservations());
    assert.ok('band' in next && next.band === 2);
  });

  test('every voter grants: the record is written after the grants, the reply carries the new id', async () => {
    const doc = createKvDocument();
    const voterDoc = createKvDocument();
    const members = new MemberSet(initial, '11', log);
    const voter = new MemberAdds({ selfIdHex: memberIdHexOf('22'), clusterId: '1', askVoter: () => Promise.resolve(false), wake: () => undefined, log });
    const adder = new MemberAdds({
      selfIdHex: memberIdHexOf('11'),
      clusterId: '1',
      askVoter: (_v, band, member) =>
        new Promise((resolve) => {
          voter.askedToGrant({ name: 'node1', id: '11', band: 0 }, band, member, (reply) => resolve(reply.granted));
          voter.apply(voterDoc, new MemberSet(initial, '22', log));
          voter.whenAppended()(() => []);
        }),
      wake: () => undefined,
      log,
    });
    const reply = new Promise<MemberChangeReply>((resolve) => adder.begin(doc, members, add(['http://n3:2380'], true), resolve));
    adder.whenAppended()(() => members.peers());
    await new Promise((resolve) => setImmediate(resolve));
    adder.apply(doc, members);
    assert.equal(doc.members().length, 1);
    adder.whenAppended()(() => []);
    const { id, error } = await reply;
    assert.equal(error, undefined);
    const [written] = doc.members();
    assert.equal(written!.id, memberIdHexOf(id!));
    assert.deepEqual(written!.record, { name: '', band: 2, clientUrls: [], peerUrls: ['http://n3:2380'], learner: true, removed: false });
    assert.equal(voterDoc.bandReservations()[0]!.values[0]!.member, memberIdHexOf(id!), 'the grant is written in the voter\'s document');
  });
});
