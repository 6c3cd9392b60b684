import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppendRequest, PatchBatch, ProposeRequest } from './messages.js';
import { BadMessageError, validated, validators } from './validate.js';

const identity = { cluster_id: '1', member_id: '2', raft_term: '1', epoch: 'e' };
const patch = (revision: string): PatchBatch => ({ patches: [{ revision, events: [] }], identity, compact_revision: '-1' });
const append = (fields: Partial<AppendRequest>): AppendRequest => ({
  actor: new Uint8Array([1]),
  seq: '1',
  change: new Uint8Array([2]),
  first_revision: '2',
  last_revision: '2',
  patch_batch: new Uint8Array([3]),
  compacted: false,
  compact_revision: '0',
  ...fields,
});
const propose = (fields: Partial<ProposeRequest>): ProposeRequest => ({ frontend_id: 'f', proposals: [{ id: '1', op: 'request', request: {} }], ...fields });

describe('validators', () => {
  test('peer messages: member ids, changes, heads, peer changes of an append', () => {
    const head = 'a'.repeat(64);
    assert.equal(validators.peerChanges({ cluster_id: '1', origin: '18446744073709551615', changes: [new Uint8Array([1])], heads: [head] }), undefined);
    assert.ok(validators.peerChanges({ cluster_id: '1', origin: '0', changes: [new Uint8Array([1])], heads: [] }));
    assert.ok(validators.peerChanges({ cluster_id: '1', origin: '2', changes: [], heads: [] }));
    assert.ok(validators.peerChanges({ cluster_id: '1', origin: '2', changes: [new Uint8Array([1])], heads: ['not-a-hash'] }));
    assert.equal(validators.peerSync({ cluster_id: '1', from: '2', round: '0', message: new Uint8Array([1]) }), undefined);
    assert.ok(validators.peerSync({ cluster_id: '1', from: '2', round: '0', message: new Uint8Array() }));
    assert.ok(validators.peerStored({ cluster_id: '1', from: '2', origin_revision: '-1' }));
    // The lineage (ARCHITECTURE §8.10): empty with cut 0 (the original), or a hash with any cut number.
    assert.equal(validators.peerSync({ cluster_id: '1', from: '2', round: '0', message: new Uint8Array([1]), lineage: head, lineage_cut: '0' }), undefined);
    assert.equal(validators.peerStored({ cluster_id: '1', from: '2', origin_revision: '1', lineage: head, lineage_cut: '4' }), undefined);
    assert.ok(validators.peerChanges({ cluster_id: '1', origin: '2', changes: [new Uint8Array([1])], heads: [], lineage: 'not-a-hash', lineage_cut: '1' }));
    assert.ok(validators.peerSync({ cluster_id: '1', from: '2', round: '0', message: new Uint8Array([1]), lineage: '', lineage_cut: '1' }));
    assert.ok(validators.peerStored({ cluster_id: '1', from: '2', origin_revision: '1', lineage: head, lineage_cut: '-1' }));
    assert.equal(validators.appendRequest(append({ peer_changes: [{ actor: new Uint8Array([1]), seq: '3', change: new Uint8Array([1]) }] })), undefined);
    assert.ok(validators.appendRequest(append({ peer_changes: [{ actor: new Uint8Array([1]), seq: '0', change: new Uint8Array([1]) }] })));
  });

  test('well-formed messages pass as they are', () => {
    assert.equal(validators.patchBatch(patch('5')), undefined);
    assert.equal(validators.appendRequest(append({})), undefined);
    assert.equal(validators.appendRequest(append({ actor: new Uint8Array(), change: new Uint8Array(), seq: '0', first_revision: '0', last_revision: '4', patch_batch: new Uint8Array(), compacted: true, compact_revision: '3' })), undefined);
    assert.equal(validators.proposeRequest(propose({})), undefined);
    const ok = propose({});
    assert.equal(validated(ok, validators.proposeRequest), ok);
  });

  test('impossible revisions are refused with a typed error', () => {
    for (const revision of ['-1', '0', '9007199254740993', 'NaN']) {
      const bad = validators.patchBatch(patch(revision));
      assert.ok(bad instanceof BadMessageError, revision);
      assert.equal(bad.messageType, 'PatchBatch');
    }
    assert.match(validators.patchBatch({ ...patch('3'), compact_revision: '7' })!.message, /past the batch's last revision/);
    assert.ok(validators.patchBatch({ ...patch('3'), identity: null }));
    assert.ok(validators.appendRequest(append({ first_revision: '5', last_revision: '3' })));
    assert.ok(validators.appendRequest(append({ actor: new Uint8Array() })));
    assert.ok(validators.appendRequest(append({ seq: '0' })));
    assert.ok(validators.readIndexReply({ revision: '-4', epoch: 'e' }));
    assert.ok(validators.syncChunk({ index: 0, done: true, identity, revision: '3', compact_revision: '5', base: [], patches: [] }));
    assert.throws(() => validated(patch('-1'), validators.patchBatch), BadMessageError);
  });

  test('empty ids, missing operations, duplicate ids and oversized batches are refused', () => {
    assert.match(validators.proposeRequest(propose({ frontend_id: '' }))!.problem, /frontend_id/);
    assert.match(validators.proposeRequest(propose({ proposals: [] }))!.problem, /0 proposals/);
    assert.match(validators.proposeRequest(propose({ proposals: [{ id: '1' }] }))!.problem, /no operation/);
    assert.match(validators.proposeRequest(propose({ proposals: [{ id: '1', op: 'request', request: {} }, { id: '1', op: 'request', request: {} }] }))!.problem, /twice/);
    assert.match(validators.maintenanceRequest({})!.problem, /no operation/);
    assert.match(validators.storageRequest({ op: 'save_state', save_state: { alarms: Array(2000).fill({ memberID: '1', alarm: 'NOSPACE' }), downgrade: null } })!.problem, /alarms/);
  });
});
