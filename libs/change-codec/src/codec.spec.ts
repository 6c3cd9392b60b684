import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authCodecs } from './auth-messages.js';
import { validated, validators } from './validate.js';
import { codecs } from './messages.js';
import { nodeSubjects } from './subjects.js';
import { ChunkBudget, chunkBySize } from './chunks.js';
import { WireDecodeError } from './wire.js';

describe('subjects', () => {
  test('one place builds every subject, versioned', () => {
    assert.deepEqual(nodeSubjects({ prefix: 'eckd', node: 'n1' }), {
      propose: 'eckd.n1.backend.propose.v1',
      readIndex: 'eckd.n1.backend.read-index.v1',
      sync: 'eckd.n1.backend.sync.v1',
      patch: 'eckd.n1.patch.v1',
      takeover: 'eckd.n1.backend.takeover.v1',
      append: 'eckd.n1.persister.append.v1',
      load: 'eckd.n1.persister.load.v1',
      compactorRun: 'eckd.n1.compactor.run.v1',
      maintenance: 'eckd.n1.backend.maintenance.v1',
      storage: 'eckd.n1.persister.storage.v1',
      backup: 'eckd.n1.persister.backup.v1',
      conflicts: 'eckd.n1.backend.conflicts.v1',
      frontendApplied: 'eckd.n1.frontend-applied.v1',
      peerStored: 'eckd.n1.peer-stored.v1',
      frontends: 'eckd.n1.backend.frontends.v1',
      members: 'eckd.n1.backend.members.v1',
      auth: 'eckd.n1.auth.v1',
      authState: 'eckd.n1.backend.auth.v1',
      tokenUses: 'eckd.n1.auth.token-uses.v1',
      memberChange: 'eckd.n1.backend.member-change.v1',
    });
  });

  test('tokens that would change the subject shape are refused', () => {
    for (const bad of ['a.b', 'a*', '>', '', 'a b']) {
      assert.throws(() => nodeSubjects({ prefix: bad, node: 'n' }), /prefix/);
      assert.throws(() => nodeSubjects({ prefix: 'p', node: bad }), /node/);
    }
  });
});

describe('wire codecs', () => {
  test('a propose request carries etcd requests in the proto-loader object shape', () => {
    const bytes = codecs.proposeRequest.encode({
      frontend_id: 'fe-1',
      proposals: [
        { id: 7, op: 'request', request: { request: 'request_put', request_put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '0' } } },
      ],
    });
    const back = codecs.proposeRequest.decode(bytes);
    assert.equal(back.frontend_id, 'fe-1');
    const p = back.proposals[0]!;
    assert.equal(p.id, '7');
    assert.equal(p.op, 'request');
    const put = (p.request as { request: string; request_put: { key: Buffer; value: Buffer; lease: string; prev_kv: boolean } });
    assert.equal(put.request, 'request_put');
    assert.deepEqual(put.request_put.key, Buffer.from('k'));
    assert.equal(put.request_put.lease, '0');
    assert.equal(put.request_put.prev_kv, false);
  });

  test('golden bytes pin the field numbers of an append request', () => {
    const bytes = codecs.appendRequest.encode({
      actor: Buffer.from([0xaa]),
      seq: 2,
      change: Buffer.from([0x01]),
      first_revision: 3,
      last_revision: 4,
      patch_batch: Buffer.from([0x05]),
      compacted: true,
      compact_revision: 9,
    });
    assert.equal(Buffer.from(bytes).toString('hex'), '0a01aa1002' + '1a0101' + '2003' + '2804' + '320105' + '3801' + '4009');
  });

  test('an append carries its fencing epoch in field 10; a load chunk the claimed one in field 11', () => {
    const append = { actor: Buffer.alloc(0), seq: 0, change: Buffer.alloc(0), first_revision: 0, last_revision: 4, patch_batch: Buffer.alloc(0), compacted: false, compact_revision: 0 };
    const bytes = codecs.appendRequest.encode({ ...append, fencing_epoch: 7 });
    assert.equal(Buffer.from(bytes).toString('hex').slice(-4), '5007');
    assert.equal(codecs.appendRequest.decode(bytes).fencing_epoch, '7');
    const chunk = codecs.loadChunk.encode({ index: 0, done: true, changes: [], patch_batches: [], compacted: false, compact_revision: 0, fencing_epoch: 3 });
    assert.equal(Buffer.from(chunk).toString('hex').slice(-4), '5803');
    assert.equal(codecs.backendTakeover.decode(codecs.backendTakeover.encode({ fencing_epoch: 9 })).fencing_epoch, '9');
  });

  test('an append carries a history cut as a nested Rebase in field 9', () => {
    const bytes = codecs.appendRequest.encode({
      actor: Buffer.alloc(0), seq: 0, change: Buffer.alloc(0), first_revision: 0, last_revision: 4,
      patch_batch: Buffer.alloc(0), compacted: false, compact_revision: 0,
      rebase: { document: Buffer.from([0x07]), heads: ['ab'], key_count: 3 },
    });
    assert.equal(Buffer.from(bytes).toString('hex').slice(-22), '4a09' + '0a0107' + '12026162' + '1803');
    const back = codecs.appendRequest.decode(bytes);
    assert.deepEqual({ ...back.rebase, document: Buffer.from(back.rebase!.document) }, { document: Buffer.from([0x07]), heads: ['ab'], key_count: '3' });
    assert.equal(codecs.appendRequest.decode(codecs.appendRequest.encode({ ...back, rebase: undefined })).rebase, null);
  });

  test('an append carries peer changes in field 11; peer messages round-trip with ids as decimal strings', () => {
    const bytes = codecs.appendRequest.encode({
      actor: Buffer.alloc(0), seq: 0, change: Buffer.alloc(0), first_revision: 0, last_revision: 4,
      patch_batch: Buffer.alloc(0), compacted: false, compact_revision: 0,
      peer_changes: [{ actor: Buffer.from([0xbb]), seq: 7, change: Buffer.from([0x01]) }],
    });
    assert.equal(Buffer.from(bytes).toString('hex').slice(-20), '5a08' + '0a01bb' + '1007' + '1a0101');
    const memberId = '18446744073709551615';
    const changes = codecs.peerChanges.decode(codecs.peerChanges.encode({ cluster_id: memberId, origin: memberId, changes: [Buffer.from([1])], heads: ['ab'] }));
    assert.deepEqual({ ...changes, changes: changes.changes.map((c) => Buffer.from(c)) }, { cluster_id: memberId, origin: memberId, changes: [Buffer.from([1])], heads: ['ab'] });
    const sync = codecs.peerSync.decode(codecs.peerSync.encode({ cluster_id: '1', from: memberId, round: 2, message: Buffer.from([3]) }));
    assert.equal(sync.from, memberId);
    assert.equal(sync.round, '2');
    assert.equal(codecs.peerStored.decode(codecs.peerStored.encode({ cluster_id: '1', from: '2', origin_revision: 2 ** 48 + 1 })).origin_revision, String(2 ** 48 + 1));
  });

  test('patch batches round-trip events with int64 as strings and enums as names', () => {
    const bytes = codecs.patchBatch.encode({
      patches: [{ revision: 5, events: [{ type: 'DELETE', kv: { key: Buffer.from('a'), mod_revision: 5 } }] }],
      identity: { cluster_id: '18446744073709551615', member_id: '1', raft_term: 2, epoch: 'e1' },
      compact_revision: -1,
    });
    const back = codecs.patchBatch.decode(bytes);
    assert.equal(back.patches[0]!.revision, '5');
    const ev = back.patches[0]!.events[0] as { type: string; kv: { mod_revision: string } };
    assert.equal(ev.type, 'DELETE');
    assert.equal(ev.kv.mod_revision, '5');
    assert.equal(back.identity!.cluster_id, '18446744073709551615');
    assert.equal(back.compact_revision, '-1');
  });

  test('a load chunk without snapshot fields keeps its version 1 bytes (old persisters stay readable)', () => {
    const chunk = { index: 1, done: true, changes: [Buffer.from([0x0c])], patch_batches: [], compacted: true, compact_revision: 4 };
    const bytes = codecs.loadChunk.encode(chunk);
    assert.equal(Buffer.from(bytes).toString('hex'), '0801' + '1001' + '1a010c' + '3001' + '3804');
    const back = codecs.loadChunk.decode(bytes);
    assert.equal(back.snapshot, null);
    assert.equal(back.snapshot_document!.length, 0);
    assert.equal(back.snapshot_index!.length, 0);
  });

  test('golden bytes pin the snapshot fields of a load chunk', () => {
    const bytes = codecs.loadChunk.encode({
      index: 0,
      done: false,
      changes: [],
      patch_batches: [],
      compacted: false,
      compact_revision: 0,
      snapshot: { through_revision: 9, index_revision: 7, compact_revision: 7, heads: ['ab'], document_bytes: 2, index_bytes: 1 },
      snapshot_document: Buffer.from([0x85, 0x6f]),
      snapshot_index: Buffer.from([0x08]),
    });
    const header = '0809' + '1007' + '1807' + '22026162' + '2802' + '3001';
    // protobufjs writes explicitly given zero scalars too (fields 1, 2, 6, 7).
    assert.equal(Buffer.from(bytes).toString('hex'), '0800' + '1000' + '3000' + '3800' + '420e' + header + '4a02856f' + '520108');
    const back = codecs.loadChunk.decode(bytes);
    assert.deepEqual(back.snapshot, { through_revision: '9', index_revision: '7', compact_revision: '7', heads: ['ab'], document_bytes: '2', index_bytes: '1' });
    assert.deepEqual(back.snapshot_document, Buffer.from([0x85, 0x6f]));
  });

  test('a snapshot index round-trips its key-values', () => {
    const kv = { key: Buffer.from('k'), create_revision: 2, mod_revision: 5, version: 3, value: Buffer.from('v'), lease: '7587869' };
    const back = codecs.snapshotIndex.decode(codecs.snapshotIndex.encode({ revision: 5, compact_revision: -1, kvs: [kv] }));
    assert.equal(back.revision, '5');
    assert.equal(back.compact_revision, '-1');
    const got = back.kvs[0] as { key: Buffer; create_revision: string; mod_revision: string; version: string; value: Buffer; lease: string };
    assert.deepEqual(got.key, Buffer.from('k'));
    assert.deepEqual([got.create_revision, got.mod_revision, got.version, got.lease], ['2', '5', '3', '7587869']);
    assert.deepEqual(got.value, Buffer.from('v'));
  });

  test('compactor run messages round-trip', () => {
    assert.deepEqual(codecs.compactorRunRequest.decode(codecs.compactorRunRequest.encode({})), {});
    const reply = codecs.compactorRunReply.decode(
      codecs.compactorRunReply.encode({
        ran: true, reason: '', through_revision: 10, index_revision: 8, changes_deleted: 5, log_rows_deleted: 4,
        document_bytes: 100, index_bytes: 50, duration_ms: 12, error: null,
      }),
    );
    assert.equal(reply.ran, true);
    assert.equal(reply.changes_deleted, '5');
    assert.equal(reply.error, null);
    const failed = codecs.compactorRunReply.decode(
      codecs.compactorRunReply.encode({
        ran: false, reason: 'failed', through_revision: 0, index_revision: 0, changes_deleted: 0, log_rows_deleted: 0,
        document_bytes: 0, index_bytes: 0, duration_ms: 0, error: { name: 'Unknown', message: 'StorageError: x' },
      }),
    );
    assert.deepEqual(failed.error, { name: 'Unknown', message: 'StorageError: x' });
  });

  test('malformed bytes are refused with a WireDecodeError', () => {
    assert.throws(() => codecs.proposeRequest.decode(Buffer.from([0x12, 0xff, 0xff])), WireDecodeError);
    assert.throws(() => codecs.appendRequest.decode(Buffer.from([0x0a, 0x05, 0x01])), WireDecodeError);
    assert.throws(() => codecs.loadChunk.decode(Buffer.from([0x42, 0x09, 0x08])), WireDecodeError);
    assert.throws(() => codecs.snapshotIndex.decode(Buffer.from([0x1a, 0x7f])), WireDecodeError);
  });
});

describe('chunkBySize', () => {
  test('groups stay under the byte budget and the count cap; a huge item goes alone', () => {
    assert.deepEqual(chunkBySize([1, 2, 3, 4, 10, 1], (n) => n, 5), [[1, 2], [3], [4], [10], [1]]);
    assert.deepEqual(chunkBySize([1, 1, 1], (n) => n, 100, 2), [[1, 1], [1]]);
    assert.deepEqual(chunkBySize([], (n: number) => n, 5), []);
    assert.throws(() => chunkBySize([1], (n) => n, 0), RangeError);
  });

  test('a budget streams: full once something is in and the next item would overflow; reset starts over', () => {
    const budget = new ChunkBudget(10, 3);
    assert.equal(budget.isFullFor(50), false, 'an empty chunk takes any item');
    budget.add(50);
    assert.equal(budget.isFullFor(1), true);
    budget.reset();
    for (const n of [1, 1, 1]) budget.add(n);
    assert.equal(budget.isFullFor(1), true, 'the count cap');
  });
});

describe('auth messages', () => {
  test('an auth change proposal and the auth state round-trip', () => {
    const request = codecs.proposeRequest.decode(
      codecs.proposeRequest.encode({ frontend_id: 'f', proposals: [{ id: 1, op: 'auth', auth: { op: 'role_add', role_add: { name: 'r' } }, auth_revision: 7 }] }),
    );
    assert.equal(request.proposals[0]!.auth?.role_add?.name, 'r');
    assert.equal(String(request.proposals[0]!.auth_revision), '7');
    const state = authCodecs.authState.decode(
      authCodecs.authState.encode({ enabled: true, revision: 3, users: [{ name: Buffer.from('u'), password: Buffer.from('$2a$'), roles: ['r'] }], roles: [{ name: Buffer.from('r'), keyPermission: [{ permType: 'READ', key: Buffer.from('k'), range_end: Buffer.alloc(0) }] }], token_key: Buffer.from('key'), token_epoch: 1 }),
    );
    assert.deepEqual(validated(state, validators.authState).roles[0]!.keyPermission?.[0]?.permType, 'READ');
    assert.throws(() => validated({ ...state, token_key: Buffer.alloc(0) }, validators.authState), /token key/);
    const uses = authCodecs.tokenUses.decode(authCodecs.tokenUses.encode({ frontend_id: 'f', token_ids: [Buffer.alloc(16, 1), Buffer.alloc(16, 2)] }));
    assert.deepEqual(validated(uses, validators.tokenUses).token_ids.map((id) => id[0]), [1, 2]);
    assert.throws(() => validated({ ...uses, token_ids: [Buffer.alloc(15)] }, validators.tokenUses), /16 bytes/);
    assert.throws(() => validated({ ...uses, frontend_id: '' }, validators.tokenUses), /frontend_id/);
  });
});
