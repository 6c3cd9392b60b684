import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument, memberIdHexOf } from '@eckd/automerge-doc';
import type { MemberChangeRequest } from '@eckd/change-codec';
import { LeaseStore, MvccStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { BatchEffects, NodeState } from '../write-application.js';
import { recordRevision } from '../write-application.js';
import { MemberChanges, decideMemberChange } from './member-changes.js';
import { isPeerUrl } from './peer-config.js';
import type { MemberChangeContext } from './member-changes.js';
import { MemberAdds } from './member-add.js';
import { MemberSet } from './member-set.js';

const log = createLogger('member-changes-spec', { level: 'error' });
const initial = [
  { name: 'node1', id: '11', band: 0 },
  { name: 'node2', id: '22', band: 1 },
];
const noAdds = new MemberAdds({ selfIdHex: memberIdHexOf('11'), clusterId: '1', askVoter: () => Promise.resolve(false), wake: () => undefined, log });
const contextOf = (members: MemberSet, change: Partial<MemberChangeContext> = {}): MemberChangeContext => ({ members, storedBy: () => 0, revision: 5, adds: noAdds, ...change });
const change = (kind: MemberChangeRequest['kind'], id: string, peerUrls: string[] = []): MemberChangeRequest => ({ kind, id, peer_urls: peerUrls });
const errorOf = (decided: ReturnType<typeof decideMemberChange>) => ('error' in decided ? decided.error.name : undefined);

describe('member changes', () => {
  test('etcd\'s URL rule: scheme http(s) or unix(s), host:port, no path', () => {
    for (const ok of ['http://10.0.0.1:2380', 'https://node2:2380', 'http://[::1]:2380', 'unix://localhost:1']) assert.ok(isPeerUrl(ok), ok);
    for (const bad of ['10.0.0.1:2380', 'http://10.0.0.1', 'http://10.0.0.1:2380/', 'http://h:1/p', 'ftp://h:1', 'http://h:1?x=1', '']) assert.equal(isPeerUrl(bad), false, bad);
  });

  test('remove: unknown or already removed → member not found; never the last voter', () => {
    const members = new MemberSet(initial, '11', log);
    assert.equal(errorOf(decideMemberChange(change('REMOVE', '99'), undefined, contextOf(members))), 'MemberNotFound');
    const removal = decideMemberChange(change('REMOVE', '22'), undefined, contextOf(members));
    assert.ok('record' in removal && removal.record.removed && removal.record.name === 'node2' && removal.record.band === 1);
    members.refresh([{ id: memberIdHexOf('22'), record: removal.record }]);
    assert.equal(errorOf(decideMemberChange(change('REMOVE', '22'), removal.record, contextOf(members))), 'MemberNotFound');
    assert.equal(errorOf(decideMemberChange(change('REMOVE', '11'), undefined, contextOf(members))), 'MemberNotEnoughStarted');
  });

  test('update: bad URLs and another member\'s URLs are refused; the URLs are stored sorted', () => {
    const members = new MemberSet(initial, '11', log);
    assert.equal(errorOf(decideMemberChange(change('UPDATE', '22', ['node2:2380']), undefined, contextOf(members))), 'MemberBadURLs');
    members.refresh([{ id: memberIdHexOf('11'), record: { name: 'node1', band: 0, clientUrls: [], peerUrls: ['http://a:1'], learner: false, removed: false } }]);
    assert.equal(errorOf(decideMemberChange(change('UPDATE', '22', ['http://a:1']), undefined, contextOf(members))), 'PeerURLExist');
    const updated = decideMemberChange(change('UPDATE', '22', ['http://c:1', 'http://b:1']), undefined, contextOf(members));
    assert.ok('record' in updated);
    assert.deepEqual(updated.record.peerUrls, ['http://b:1', 'http://c:1']);
  });

  test('promote: a voter is refused; a learner behind this member\'s last change is not ready; in sync it becomes a voter', () => {
    const members = new MemberSet(initial, '11', log);
    const learner = { name: 'node3', band: 2, clientUrls: [], peerUrls: [], learner: true, removed: false };
    members.refresh([{ id: memberIdHexOf('33'), record: learner }]);
    assert.equal(errorOf(decideMemberChange(change('PROMOTE', '22'), undefined, contextOf(members))), 'MemberNotLearner');
    assert.equal(errorOf(decideMemberChange(change('PROMOTE', '33'), learner, contextOf(members, { storedBy: () => 4 }))), 'LearnerNotReady');
    const promoted = decideMemberChange(change('PROMOTE', '33'), learner, contextOf(members, { storedBy: () => 5 }));
    assert.ok('record' in promoted && promoted.record.learner === false);
  });

  test('a removed member changes nothing: server stopped', () => {
    const members = new MemberSet(initial, '22', log);
    members.refresh([{ id: memberIdHexOf('22'), record: { name: 'node2', band: 1, clientUrls: [], peerUrls: [], learner: false, removed: true } }]);
    assert.equal(errorOf(decideMemberChange(change('UPDATE', '11', ['http://a:1']), undefined, contextOf(members))), 'Stopped');
  });

  test('an accepted change is written into the document and answered after the append; a refused one at once, writing nothing', async () => {
    const state = stateOf();
    const { doc } = state;
    const members = new MemberSet(initial, '11', log);
    const changes = new MemberChanges(() => undefined, log);
    const refused = changes.request(change('REMOVE', '99'));
    let removedAnswered = false;
    const removed = changes.request(change('REMOVE', '22')).then((e) => ((removedAnswered = true), e));
    assert.ok(changes.hasWork());
    changes.apply(state, effectsOf(), contextOf(members));
    assert.equal((await refused).error?.name, 'MemberNotFound');
    await Promise.resolve();
    assert.equal(removedAnswered, false, 'answered only after the append');
    assert.deepEqual(doc.members().map((m) => [m.id, m.record.removed]), [[memberIdHexOf('22'), true]]);
    assert.equal(members.peer('22'), undefined, 'the set follows at once');
    changes.whenAppended()();
    assert.deepEqual(await removed, {});
  });

  test('a removal revokes the removed member\'s leases: their keys deleted in one revision, their records gone; others\' leases stay', async () => {
    const state = stateOf();
    const effects = effectsOf();
    state.doc.putLease('7', 60, memberIdHexOf('22'));
    state.doc.putLease('8', 60, memberIdHexOf('11'));
    // node2's keys arrived as a peer revision: its lease is no lease here, the keys carry its id.
    const peerWrite = state.store.write(
      { txn: { success: ['a', 'b'].map((k) => ({ request_put: { key: Buffer.from(k), value: Buffer.from('v'), lease: '7' } })).concat([{ request_put: { key: Buffer.from('c'), value: Buffer.from('v'), lease: '8' } }]) } },
      { leaseExists: () => true },
    );
    recordRevision(state, effects, peerWrite);
    const changes = new MemberChanges(() => undefined, log);
    const removed = changes.request(change('REMOVE', '22'));
    changes.apply(state, effects, contextOf(new MemberSet(initial, '11', log)));
    changes.whenAppended()();
    assert.deepEqual(await removed, {});
    assert.deepEqual(state.doc.leases().map((l) => l.id), ['8']);
    assert.equal(state.store.kvAt(Buffer.from('a')), undefined);
    assert.equal(state.store.kvAt(Buffer.from('b')), undefined);
    assert.ok(state.store.kvAt(Buffer.from('c')));
    assert.deepEqual(effects.patches.at(-1)!.events.map((e) => `${e.type} ${e.kv.key.toString()}`), ['DELETE a', 'DELETE b']);
  });
});

function stateOf(): NodeState {
  return { store: new MvccStore(), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0 };
}

function effectsOf(): BatchEffects {
  return { patches: [], compactRevision: undefined };
}
